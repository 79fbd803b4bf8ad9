drop policy if exists products_insert on public.products;
create policy products_insert on public.products
  as permissive
  for insert
  to authenticated
  with check (((vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
