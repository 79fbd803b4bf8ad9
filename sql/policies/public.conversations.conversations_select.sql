drop policy if exists conversations_select on public.conversations;
create policy conversations_select on public.conversations
  as permissive
  for select
  to authenticated
  using (((customer_id = ( SELECT auth.uid() AS uid)) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
