drop policy if exists orders_update on public.orders;
create policy orders_update on public.orders
  as permissive
  for update
  to authenticated
  using ((((user_id = ( SELECT auth.uid() AS uid)) AND (status = 'pending'::order_status)) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)))
  with check ((((user_id = ( SELECT auth.uid() AS uid)) AND (status = ANY (ARRAY['pending'::order_status, 'cancelled'::order_status])) AND ((address_id IS NULL) OR (address_id IN ( SELECT a.id
   FROM addresses a
  WHERE (a.user_id = ( SELECT auth.uid() AS uid)))))) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
