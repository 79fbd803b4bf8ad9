drop policy if exists addresses_select on public.addresses;
create policy addresses_select on public.addresses
  as permissive
  for select
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin) OR (id IN ( SELECT private.shop_delivery_addresses() AS shop_delivery_addresses))));
