drop policy if exists payments_select on public.payments;
create policy payments_select on public.payments
  as permissive
  for select
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR (order_id IN ( SELECT o.id
   FROM orders o
  WHERE (o.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))) OR ( SELECT private.is_admin() AS is_admin)));
