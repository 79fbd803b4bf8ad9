revoke all on table public.products from anon, authenticated, service_role;
grant select on table public.products to anon;
grant delete, select on table public.products to authenticated;
grant all on table public.products to service_role;
grant insert (vendor_id, category_id, name, description, price, compare_at_price, currency, stock_quantity, images, is_active) on table public.products to authenticated;
grant update (category_id, name, description, price, compare_at_price, currency, stock_quantity, images, is_active) on table public.products to authenticated;
