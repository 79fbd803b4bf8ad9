drop policy if exists messages_select on public.messages;
create policy messages_select on public.messages
  as permissive
  for select
  to authenticated
  using (((EXISTS ( SELECT 1
   FROM conversations c
  WHERE ((c.id = messages.conversation_id) AND ((c.customer_id = ( SELECT auth.uid() AS uid)) OR (c.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))))) OR ( SELECT private.is_admin() AS is_admin)));
