revoke all on table public.orders from anon, authenticated, service_role;
grant select on table public.orders to authenticated;
grant all on table public.orders to service_role;
grant insert (user_id, vendor_id, address_id, status, subtotal, delivery_fee, currency, notes, idempotency_key) on table public.orders to authenticated;
grant update (address_id, status, notes) on table public.orders to authenticated;
