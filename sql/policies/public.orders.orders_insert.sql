drop policy if exists orders_insert on public.orders;
create policy orders_insert on public.orders
  as permissive
  for insert
  to authenticated
  with check ((((user_id = ( SELECT auth.uid() AS uid)) AND (status = 'pending'::order_status) AND ((address_id IS NULL) OR (address_id IN ( SELECT a.id
   FROM addresses a
  WHERE (a.user_id = ( SELECT auth.uid() AS uid)))))) OR ( SELECT private.is_admin() AS is_admin)));
