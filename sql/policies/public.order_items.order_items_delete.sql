drop policy if exists order_items_delete on public.order_items;
create policy order_items_delete on public.order_items
  as permissive
  for delete
  to authenticated
  using (((order_id IN ( SELECT o.id
   FROM orders o
  WHERE ((o.user_id = ( SELECT auth.uid() AS uid)) AND (o.status = 'pending'::order_status)))) OR ( SELECT private.is_admin() AS is_admin)));
