drop policy if exists categories_delete on public.categories;
create policy categories_delete on public.categories
  as permissive
  for delete
  to authenticated
  using (( SELECT private.is_admin() AS is_admin));
