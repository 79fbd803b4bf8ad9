drop policy if exists products_select on public.products;
create policy products_select on public.products
  as permissive
  for select
  to anon, authenticated
  using (((is_active AND (EXISTS ( SELECT 1
   FROM vendors v
  WHERE ((v.id = products.vendor_id) AND v.is_verified AND v.is_active)))) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin) OR (id = ANY (( SELECT private.customer_product_ids() AS customer_product_ids)::uuid[]))));
