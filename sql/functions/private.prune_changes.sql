CREATE OR REPLACE FUNCTION private.prune_changes(p_keep interval DEFAULT '7 days'::interval)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      cutoff xid8;
      pruned bigint;
    begin
      -- Whole transactions go, oldest first; a cursor inside them is reset.
      select pg_catalog.max(c.xid) into cutoff from private.changes c where c.at < now() - p_keep;
      if cutoff is null then
        return 0;
      end if;
      delete from private.changes c where c.xid <= cutoff;
      get diagnostics pruned = row_count;
      update private.sync_state set pruned_through = greatest(pruned_through, cutoff);
      return pruned;
    end
$function$;

comment on function private.prune_changes(p_keep interval) is 'Catch-up retention: drop log entries older than p_keep (default 7 days), by whole transactions. Scheduled with pg_cron on Supabase.';
revoke all on function private.prune_changes(p_keep interval) from public, anon, authenticated, service_role;
