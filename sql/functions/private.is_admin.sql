CREATE OR REPLACE FUNCTION private.is_admin()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- plpgsql, not sql: Realtime re-checks a row for each subscriber in a new
      -- statement, and a SQL function's body is planned again on every call
      -- (45 us); plpgsql keeps its plan for the session (6 us).
      return exists (
        select from public.profiles p where p.id = (select auth.uid()) and p.role = 'admin'
      );
    end
    $function$;

comment on function private.is_admin() is 'Whether the caller is an admin. For policies, as (select private.is_admin()).';
revoke all on function private.is_admin() from public, anon, authenticated, service_role;
grant execute on function private.is_admin() to anon;
grant execute on function private.is_admin() to authenticated;
grant execute on function private.is_admin() to service_role;
