revoke all on table public.categories from anon, authenticated, service_role;
grant select on table public.categories to anon;
grant delete, insert, select, update on table public.categories to authenticated;
grant all on table public.categories to service_role;
