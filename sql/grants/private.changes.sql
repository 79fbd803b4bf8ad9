revoke all on table private.changes from anon, authenticated, service_role;
grant select on table private.changes to anon;
grant select on table private.changes to authenticated;
