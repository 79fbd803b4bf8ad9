drop policy if exists vendors_delete on public.vendors;
create policy vendors_delete on public.vendors
  as permissive
  for delete
  to authenticated
  using (( SELECT private.is_admin() AS is_admin));
