drop policy if exists products_delete on public.products;
create policy products_delete on public.products
  as permissive
  for delete
  to authenticated
  using (((vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
