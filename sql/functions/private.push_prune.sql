CREATE OR REPLACE FUNCTION private.push_prune(p_keep interval DEFAULT '7 days'::interval)
 RETURNS bigint
 LANGUAGE sql
 SET search_path TO ''
AS $function$
    -- Finished rows (delivered, unconfirmed, dead) older than p_keep go.
    with pruned as (
      delete from private.push_outbox
       where state in ('delivered', 'unconfirmed', 'dead') and updated_at < now() - p_keep
      returning 1
    )
    select count(*) from pruned
$function$;

comment on function private.push_prune(p_keep interval) is 'Push retention: drop finished rows older than p_keep (default 7 days); the worker calls it hourly.';
revoke all on function private.push_prune(p_keep interval) from public, anon, authenticated, service_role;
