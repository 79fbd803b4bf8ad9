drop policy if exists messages_select on public.messages;
create policy messages_select on public.messages
  as permissive
  for select
  to authenticated
  using (((conversation_id IN ( SELECT c.id
   FROM conversations c
  WHERE ((c.customer_id = ( SELECT auth.uid() AS uid)) OR (c.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id))))) OR ( SELECT private.is_admin() AS is_admin)));
