drop policy if exists products_update on public.products;
create policy products_update on public.products
  as permissive
  for update
  to authenticated
  using (((vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)))
  with check (((vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
