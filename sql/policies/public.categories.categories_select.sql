drop policy if exists categories_select on public.categories;
create policy categories_select on public.categories
  as permissive
  for select
  to anon, authenticated
  using ((is_active OR ( SELECT private.is_admin() AS is_admin)));
