revoke all on table private.sync_state from anon, authenticated, service_role;
grant select on table private.sync_state to anon;
grant select on table private.sync_state to authenticated;
