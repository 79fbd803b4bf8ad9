revoke all on table public.messages from anon, authenticated, service_role;
grant delete, select on table public.messages to authenticated;
grant all on table public.messages to service_role;
grant insert (conversation_id, sender_id, body) on table public.messages to authenticated;
grant update (is_read) on table public.messages to authenticated;
