CREATE OR REPLACE FUNCTION private.catch_up_epoch()
 RETURNS text
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      server text;
    begin
      -- Cursors are this database's on this server: its random epoch and the
      -- server's system identifier (a restore elsewhere has another).
      begin
        select s.system_identifier::text into server from pg_catalog.pg_control_system() s;
      exception when insufficient_privilege then
        server := '';  -- a platform that hides it: the database's epoch alone
      end;
      return pg_catalog.left(pg_catalog.md5(
        (select st.epoch::text from private.sync_state st) || server), 12);
    end
$function$;

comment on function private.catch_up_epoch() is 'Catch-up: the epoch cursors carry (the database''s random epoch and the server''s system identifier).';
revoke all on function private.catch_up_epoch() from public, anon, authenticated, service_role;
grant execute on function private.catch_up_epoch() to anon;
grant execute on function private.catch_up_epoch() to authenticated;
grant execute on function private.catch_up_epoch() to service_role;
