drop policy if exists addresses_delete on public.addresses;
create policy addresses_delete on public.addresses
  as permissive
  for delete
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
