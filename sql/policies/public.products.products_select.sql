drop policy if exists products_select on public.products;
create policy products_select on public.products
  as permissive
  for select
  to anon, authenticated
  using (((is_active AND (vendor_id IN ( SELECT v.id
   FROM vendors v
  WHERE (v.is_verified AND v.is_active)))) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
