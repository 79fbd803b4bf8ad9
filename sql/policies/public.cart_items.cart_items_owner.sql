drop policy if exists cart_items_owner on public.cart_items;
create policy cart_items_owner on public.cart_items
  as permissive
  for all
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)))
  with check (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
