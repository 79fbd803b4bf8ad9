drop policy if exists addresses_insert on public.addresses;
create policy addresses_insert on public.addresses
  as permissive
  for insert
  to authenticated
  with check (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
