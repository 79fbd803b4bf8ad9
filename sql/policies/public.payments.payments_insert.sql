drop policy if exists payments_insert on public.payments;
create policy payments_insert on public.payments
  as permissive
  for insert
  to authenticated
  with check (( SELECT private.is_admin() AS is_admin));
