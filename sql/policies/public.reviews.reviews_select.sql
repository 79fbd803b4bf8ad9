drop policy if exists reviews_select on public.reviews;
create policy reviews_select on public.reviews
  as permissive
  for select
  to anon, authenticated
  using (true);
