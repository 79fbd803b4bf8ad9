drop policy if exists addresses_update on public.addresses;
create policy addresses_update on public.addresses
  as permissive
  for update
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)))
  with check (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
