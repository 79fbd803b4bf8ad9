CREATE OR REPLACE FUNCTION private.catch_up_held_back()
 RETURNS jsonb
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    -- How long the oldest writing transaction (the horizon) has been open,
    -- with no names: the caller may not see other sessions.
    select case when count(*) > 0 then pg_catalog.jsonb_build_object(
             'transactions', count(*),
             'oldest_open_s', round(extract(epoch from now() - min(a.xact_start))::numeric, 1))
           end
      from pg_catalog.pg_stat_activity a
     where a.backend_xid is not null and a.pid <> pg_catalog.pg_backend_pid()
$function$;

comment on function private.catch_up_held_back() is 'Catch-up: the writing transactions that hold the horizon back (how many, the oldest''s age), for sync_changes'' answer.';
revoke all on function private.catch_up_held_back() from public, anon, authenticated, service_role;
grant execute on function private.catch_up_held_back() to anon;
grant execute on function private.catch_up_held_back() to authenticated;
grant execute on function private.catch_up_held_back() to service_role;
