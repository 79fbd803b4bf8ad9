CREATE OR REPLACE FUNCTION private.push_requeue_dead(p_ids bigint[] DEFAULT NULL::bigint[])
 RETURNS bigint
 LANGUAGE sql
 SET search_path TO ''
AS $function$
    -- Dead rows (all, or those named) go back to pending with a fresh count.
    with requeued as (
      update private.push_outbox
         set state = 'pending', attempts = 0, not_before = now(), lease_until = null,
             last_error = null, updated_at = now()
       where state = 'dead' and (p_ids is null or id = any(p_ids))
      returning 1
    )
    select count(*) from requeued
$function$;

comment on function private.push_requeue_dead(p_ids bigint[]) is 'Push: send dead rows again (all, or the ids given); zora-db push requeue.';
revoke all on function private.push_requeue_dead(p_ids bigint[]) from public, anon, authenticated, service_role;
