revoke all on table public.device_tokens from anon, authenticated, service_role;
grant delete, select on table public.device_tokens to authenticated;
grant all on table public.device_tokens to service_role;
grant insert (user_id, token, platform, last_seen_at) on table public.device_tokens to authenticated;
grant update (user_id, token, platform, last_seen_at) on table public.device_tokens to authenticated;
