drop policy if exists messages_select on realtime.messages;
create policy messages_select on realtime.messages
  as permissive
  for select
  to authenticated
  using ((((extension = 'broadcast'::text) AND (( SELECT realtime.topic() AS topic) = 'platform-announcements'::text)) OR ( SELECT private.is_admin() AS is_admin)));
