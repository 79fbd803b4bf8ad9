revoke all on table public.order_status_history from anon, authenticated, service_role;
grant select on table public.order_status_history to authenticated;
grant all on table public.order_status_history to service_role;
