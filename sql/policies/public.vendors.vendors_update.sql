drop policy if exists vendors_update on public.vendors;
create policy vendors_update on public.vendors
  as permissive
  for update
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)))
  with check (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
