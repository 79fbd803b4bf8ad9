drop policy if exists notifications_update on public.notifications;
create policy notifications_update on public.notifications
  as permissive
  for update
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)))
  with check (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
