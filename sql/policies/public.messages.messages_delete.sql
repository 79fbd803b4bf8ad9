drop policy if exists messages_delete on public.messages;
create policy messages_delete on public.messages
  as permissive
  for delete
  to authenticated
  using (( SELECT private.is_admin() AS is_admin));
