revoke all on table public.favorites from anon, authenticated, service_role;
grant delete, select on table public.favorites to authenticated;
grant all on table public.favorites to service_role;
grant insert (user_id, product_id) on table public.favorites to authenticated;
