drop policy if exists messages_update on public.messages;
create policy messages_update on public.messages
  as permissive
  for update
  to authenticated
  using ((((sender_id <> ( SELECT auth.uid() AS uid)) AND (conversation_id IN ( SELECT c.id
   FROM conversations c
  WHERE ((c.customer_id = ( SELECT auth.uid() AS uid)) OR (c.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))))) OR ( SELECT private.is_admin() AS is_admin)))
  with check ((((sender_id <> ( SELECT auth.uid() AS uid)) AND (conversation_id IN ( SELECT c.id
   FROM conversations c
  WHERE ((c.customer_id = ( SELECT auth.uid() AS uid)) OR (c.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))))) OR ( SELECT private.is_admin() AS is_admin)));
