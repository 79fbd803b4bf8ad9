revoke all on table public.alembic_version from anon, authenticated, service_role;
grant delete, insert, references, select, trigger, truncate, update on table public.alembic_version to service_role;
