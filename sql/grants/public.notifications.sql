revoke all on table public.notifications from anon, authenticated, service_role;
grant delete, select on table public.notifications to authenticated;
grant all on table public.notifications to service_role;
grant insert (user_id, type, title, description, action_url, data) on table public.notifications to authenticated;
grant update (is_read) on table public.notifications to authenticated;
