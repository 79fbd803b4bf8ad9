revoke all on table public.conversations from anon, authenticated, service_role;
grant delete, select on table public.conversations to authenticated;
grant all on table public.conversations to service_role;
grant insert (customer_id, vendor_id, order_id) on table public.conversations to authenticated;
