drop policy if exists notifications_select on public.notifications;
create policy notifications_select on public.notifications
  as permissive
  for select
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
