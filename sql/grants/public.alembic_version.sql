revoke all on table public.alembic_version from anon, authenticated, service_role;
grant all on table public.alembic_version to service_role;
