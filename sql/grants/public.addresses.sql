revoke all on table public.addresses from anon, authenticated, service_role;
grant delete, insert, select, update on table public.addresses to authenticated;
grant all on table public.addresses to service_role;
