CREATE OR REPLACE FUNCTION private.is_admin()
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
      select exists (
        select from public.profiles p where p.id = (select auth.uid()) and p.role = 'admin'
      )
    $function$;

comment on function private.is_admin() is 'Whether the caller is an admin. For policies, as (select private.is_admin()).';
revoke all on function private.is_admin() from public, anon, authenticated, service_role;
grant execute on function private.is_admin() to anon;
grant execute on function private.is_admin() to authenticated;
grant execute on function private.is_admin() to service_role;
