drop policy if exists conversations_insert on public.conversations;
create policy conversations_insert on public.conversations
  as permissive
  for insert
  to authenticated
  with check ((((customer_id = ( SELECT auth.uid() AS uid)) AND ((order_id IS NULL) OR (order_id IN ( SELECT o.id
   FROM orders o
  WHERE (o.user_id = ( SELECT auth.uid() AS uid)))))) OR ( SELECT private.is_admin() AS is_admin)));
