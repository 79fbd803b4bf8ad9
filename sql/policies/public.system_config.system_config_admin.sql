drop policy if exists system_config_admin on public.system_config;
create policy system_config_admin on public.system_config
  as permissive
  for all
  to authenticated
  using (( SELECT private.is_admin() AS is_admin))
  with check (( SELECT private.is_admin() AS is_admin));
