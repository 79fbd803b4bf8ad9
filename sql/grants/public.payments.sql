revoke all on table public.payments from anon, authenticated, service_role;
grant select on table public.payments to authenticated;
grant all on table public.payments to service_role;
grant insert (order_id, user_id, amount, currency, status, provider, provider_reference, failure_reason) on table public.payments to authenticated;
grant update (status, failure_reason) on table public.payments to authenticated;
