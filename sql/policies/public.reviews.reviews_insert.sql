drop policy if exists reviews_insert on public.reviews;
create policy reviews_insert on public.reviews
  as permissive
  for insert
  to authenticated
  with check ((user_id = ( SELECT auth.uid() AS uid)));
