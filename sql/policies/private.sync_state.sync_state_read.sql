drop policy if exists sync_state_read on private.sync_state;
create policy sync_state_read on private.sync_state
  as permissive
  for select
  to anon, authenticated
  using (true);
