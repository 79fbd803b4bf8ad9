drop policy if exists notifications_delete on public.notifications;
create policy notifications_delete on public.notifications
  as permissive
  for delete
  to authenticated
  using (( SELECT private.is_admin() AS is_admin));
