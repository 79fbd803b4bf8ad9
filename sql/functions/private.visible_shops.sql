CREATE OR REPLACE FUNCTION private.visible_shops()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
  select case when private.is_admin()
              then (select coalesce(array_agg(v.id), '{}') from public.vendors v)
              else array_remove(array[private.current_vendor_id()], null) end
$function$;

comment on function private.visible_shops() is 'The shops whose orders the caller sees as a shop: their own, or every shop for an admin. For policies, as vendor_id = any ((select private.visible_shops())::uuid[]).';
revoke all on function private.visible_shops() from public, anon, authenticated, service_role;
grant execute on function private.visible_shops() to authenticated;
grant execute on function private.visible_shops() to service_role;
