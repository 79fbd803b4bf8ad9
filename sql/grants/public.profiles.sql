revoke all on table public.profiles from anon, authenticated, service_role;
grant select on table public.profiles to authenticated;
grant all on table public.profiles to service_role;
grant update (full_name, avatar_url, phone, role) on table public.profiles to authenticated;
