drop policy if exists payments_update on public.payments;
create policy payments_update on public.payments
  as permissive
  for update
  to authenticated
  using (( SELECT private.is_admin() AS is_admin))
  with check (( SELECT private.is_admin() AS is_admin));
