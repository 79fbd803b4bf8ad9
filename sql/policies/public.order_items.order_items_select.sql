drop policy if exists order_items_select on public.order_items;
create policy order_items_select on public.order_items
  as permissive
  for select
  to authenticated
  using ((EXISTS ( SELECT 1
   FROM orders o
  WHERE (o.id = order_items.order_id))));
