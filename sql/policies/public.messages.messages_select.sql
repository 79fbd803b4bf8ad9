drop policy if exists messages_select on public.messages;
create policy messages_select on public.messages
  as permissive
  for select
  to authenticated
  using ((EXISTS ( SELECT 1
   FROM conversations c
  WHERE (c.id = messages.conversation_id))));
