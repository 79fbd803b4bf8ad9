drop policy if exists favorites_owner on public.favorites;
create policy favorites_owner on public.favorites
  as permissive
  for all
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)))
  with check (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
