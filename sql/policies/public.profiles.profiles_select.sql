drop policy if exists profiles_select on public.profiles;
create policy profiles_select on public.profiles
  as permissive
  for select
  to authenticated
  using (((id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin) OR (EXISTS ( SELECT 1
   FROM orders o
  WHERE ((o.user_id = profiles.id) AND (o.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))))));
