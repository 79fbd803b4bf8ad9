CREATE OR REPLACE FUNCTION private.queue_push()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Every active device of the notified user, in this transaction.
      insert into private.push_outbox (notification_id, user_id, token)
      select new.id, d.user_id, d.token
        from public.device_tokens d
       where d.user_id = new.user_id and d.is_active
      on conflict (notification_id, token) do nothing;
      if found then
        -- One wake-up per transaction: NOTIFY folds identical payloads.
        perform pg_catalog.pg_notify('zora_push', '');
      end if;
      return null;
    end
$function$;

comment on function private.queue_push() is 'AFTER INSERT on notifications: a push_outbox row for each active device of the user, and a NOTIFY for the worker.';
revoke all on function private.queue_push() from public, anon, authenticated, service_role;
