revoke all on table public.reviews from anon, authenticated, service_role;
grant select on table public.reviews to anon;
grant delete, select on table public.reviews to authenticated;
grant all on table public.reviews to service_role;
grant insert (order_id, user_id, vendor_id, product_id, rating, comment) on table public.reviews to authenticated;
grant update (rating, comment) on table public.reviews to authenticated;
