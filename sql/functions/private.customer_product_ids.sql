CREATE OR REPLACE FUNCTION private.customer_product_ids()
 RETURNS uuid[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- The products the caller has ordered or has in their cart.
      return array(
        select i.product_id from public.order_items i
          join public.orders o on o.id = i.order_id
         where o.user_id = (select auth.uid()) and i.product_id is not null
        union
        select c.product_id from public.cart_items c where c.user_id = (select auth.uid())
      );
    end
    $function$;

comment on function private.customer_product_ids() is 'Products of the caller''s orders and cart. For policies, as (select private.customer_product_ids()).';
revoke all on function private.customer_product_ids() from public, anon, authenticated, service_role;
grant execute on function private.customer_product_ids() to anon;
grant execute on function private.customer_product_ids() to authenticated;
grant execute on function private.customer_product_ids() to service_role;
