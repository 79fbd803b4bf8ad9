drop policy if exists orders_select on public.orders;
create policy orders_select on public.orders
  as permissive
  for select
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
