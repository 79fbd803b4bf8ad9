drop policy if exists notifications_insert on public.notifications;
create policy notifications_insert on public.notifications
  as permissive
  for insert
  to authenticated
  with check (( SELECT private.is_admin() AS is_admin));
