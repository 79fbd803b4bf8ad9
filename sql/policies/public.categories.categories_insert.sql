drop policy if exists categories_insert on public.categories;
create policy categories_insert on public.categories
  as permissive
  for insert
  to authenticated
  with check (( SELECT private.is_admin() AS is_admin));
