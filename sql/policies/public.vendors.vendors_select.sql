drop policy if exists vendors_select on public.vendors;
create policy vendors_select on public.vendors
  as permissive
  for select
  to anon, authenticated
  using (((is_verified AND is_active) OR (user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin) OR (id = ANY (( SELECT private.customer_shop_ids() AS customer_shop_ids)::uuid[]))));
