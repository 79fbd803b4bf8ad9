drop policy if exists vendors_insert on public.vendors;
create policy vendors_insert on public.vendors
  as permissive
  for insert
  to authenticated
  with check ((((user_id = ( SELECT auth.uid() AS uid)) AND (NOT is_verified) AND (( SELECT p.role
   FROM profiles p
  WHERE (p.id = ( SELECT auth.uid() AS uid))) = 'vendor'::user_role)) OR ( SELECT private.is_admin() AS is_admin)));
