drop policy if exists categories_update on public.categories;
create policy categories_update on public.categories
  as permissive
  for update
  to authenticated
  using (( SELECT private.is_admin() AS is_admin))
  with check (( SELECT private.is_admin() AS is_admin));
