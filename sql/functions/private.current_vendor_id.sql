CREATE OR REPLACE FUNCTION private.current_vendor_id()
 RETURNS uuid
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- plpgsql for a cached plan: see private.is_admin.
      return (select v.id from public.vendors v where v.user_id = (select auth.uid()));
    end
    $function$;

comment on function private.current_vendor_id() is 'The caller''s shop, or null. For policies, as (select private.current_vendor_id()).';
revoke all on function private.current_vendor_id() from public, anon, authenticated, service_role;
grant execute on function private.current_vendor_id() to anon;
grant execute on function private.current_vendor_id() to authenticated;
grant execute on function private.current_vendor_id() to service_role;
