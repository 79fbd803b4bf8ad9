drop policy if exists profiles_update on public.profiles;
create policy profiles_update on public.profiles
  as permissive
  for update
  to authenticated
  using (((id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)))
  with check (((id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
