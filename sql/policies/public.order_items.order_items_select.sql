drop policy if exists order_items_select on public.order_items;
create policy order_items_select on public.order_items
  as permissive
  for select
  to authenticated
  using (((EXISTS ( SELECT 1
   FROM orders o
  WHERE ((o.id = order_items.order_id) AND ((o.user_id = ( SELECT auth.uid() AS uid)) OR (o.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))))) OR ( SELECT private.is_admin() AS is_admin)));
