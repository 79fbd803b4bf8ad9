drop policy if exists reviews_update on public.reviews;
create policy reviews_update on public.reviews
  as permissive
  for update
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)))
  with check (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
