CREATE OR REPLACE FUNCTION private.customer_shop_ids()
 RETURNS uuid[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- The shops the caller has ordered from or has in their cart.
      return array(
        select o.vendor_id from public.orders o where o.user_id = (select auth.uid())
        union
        select c.vendor_id from public.cart_items c where c.user_id = (select auth.uid())
      );
    end
    $function$;

comment on function private.customer_shop_ids() is 'Shops of the caller''s orders and cart. For policies, as (select private.customer_shop_ids()).';
revoke all on function private.customer_shop_ids() from public, anon, authenticated, service_role;
grant execute on function private.customer_shop_ids() to anon;
grant execute on function private.customer_shop_ids() to authenticated;
grant execute on function private.customer_shop_ids() to service_role;
