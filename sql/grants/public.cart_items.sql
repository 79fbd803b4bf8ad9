revoke all on table public.cart_items from anon, authenticated, service_role;
grant delete, select on table public.cart_items to authenticated;
grant all on table public.cart_items to service_role;
grant insert (user_id, product_id, vendor_id, quantity) on table public.cart_items to authenticated;
grant update (user_id, product_id, vendor_id, quantity) on table public.cart_items to authenticated;
