CREATE OR REPLACE FUNCTION private.shop_delivery_addresses()
 RETURNS SETOF uuid
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
      select o.address_id from public.orders o
       where o.vendor_id = (select private.current_vendor_id()) and o.address_id is not null
    $function$;

comment on function private.shop_delivery_addresses() is 'The delivery addresses of the caller''s shop''s orders. For policies.';
revoke all on function private.shop_delivery_addresses() from public, anon, authenticated, service_role;
grant execute on function private.shop_delivery_addresses() to authenticated;
