drop policy if exists reviews_delete on public.reviews;
create policy reviews_delete on public.reviews
  as permissive
  for delete
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin)));
