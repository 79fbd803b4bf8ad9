revoke all on table public.order_items from anon, authenticated, service_role;
grant delete, select on table public.order_items to authenticated;
grant all on table public.order_items to service_role;
grant insert (order_id, product_id, product_name, quantity, unit_price) on table public.order_items to authenticated;
grant update (product_id, quantity) on table public.order_items to authenticated;
