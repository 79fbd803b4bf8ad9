revoke all on table public.system_config from anon, authenticated, service_role;
grant delete, insert, select, update on table public.system_config to authenticated;
grant all on table public.system_config to service_role;
