drop policy if exists messages_insert on public.messages;
create policy messages_insert on public.messages
  as permissive
  for insert
  to authenticated
  with check (((sender_id = ( SELECT auth.uid() AS uid)) AND (conversation_id IN ( SELECT c.id
   FROM conversations c
  WHERE ((c.customer_id = ( SELECT auth.uid() AS uid)) OR (c.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))))));
