drop policy if exists conversations_delete on public.conversations;
create policy conversations_delete on public.conversations
  as permissive
  for delete
  to authenticated
  using (( SELECT private.is_admin() AS is_admin));
