drop policy if exists profiles_select on public.profiles;
create policy profiles_select on public.profiles
  as permissive
  for select
  to authenticated
  using (((id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin) OR (id IN ( SELECT o.user_id
   FROM orders o
  WHERE (o.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id))))));
