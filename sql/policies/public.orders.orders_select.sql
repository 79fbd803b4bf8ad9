drop policy if exists orders_select on public.orders;
-- Two indexable branches, so a customer's or a shop's listing is a BitmapOr
-- of two index scans even without a WHERE; an OR with is_admin() is not
-- indexable and made every such listing read the whole table.
create policy orders_select on public.orders
  as permissive
  for select
  to authenticated
  using (user_id = (select auth.uid())
         or vendor_id = any ((select private.visible_shops())::uuid[]));
