drop policy if exists messages_insert on realtime.messages;
create policy messages_insert on realtime.messages
  as permissive
  for insert
  to authenticated
  with check (( SELECT private.is_admin() AS is_admin));
