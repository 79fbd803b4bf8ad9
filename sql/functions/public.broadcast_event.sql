CREATE OR REPLACE FUNCTION public.broadcast_event(channel text, event text, payload jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    declare
      message text;
    begin
      -- SECURITY INVOKER on purpose: current_user is the API role of the
      -- request (PostgREST switches to it), which a definer function would hide.
      if current_user in ('anon', 'authenticated') and not (select private.is_admin()) then
        raise exception 'only admins and the service role may broadcast'
          using errcode = '42501';
      end if;
      if channel is null or channel !~ '^[A-Za-z0-9_:.-]{1,63}$' then
        raise exception 'channel must be 1 to 63 letters, digits or _ : . -'
          using errcode = '22023';
      end if;
      if pg_catalog.to_regprocedure('realtime.send(jsonb, text, text, boolean)') is not null then
        -- Supabase: Realtime Broadcast from the database.
        execute 'select realtime.send($1, $2, $3, false)' using payload, event, channel;
        return;
      end if;
      message := pg_catalog.json_build_object(
        'type', event, 'payload', payload, 'timestamp', pg_catalog.now()
      )::text;
      if pg_catalog.octet_length(message) >= 8000 then
        raise exception 'payload too large for a notification (% bytes)',
          pg_catalog.octet_length(message)
          using errcode = '22023';
      end if;
      perform pg_catalog.pg_notify(channel, message);
    end
    $function$;

comment on function public.broadcast_event(channel text, event text, payload jsonb) is 'Broadcast an event to a channel (Realtime on Supabase, NOTIFY elsewhere); admins and the service role only.';
revoke all on function public.broadcast_event(channel text, event text, payload jsonb) from public, anon, authenticated, service_role;
grant execute on function public.broadcast_event(channel text, event text, payload jsonb) to authenticated;
grant execute on function public.broadcast_event(channel text, event text, payload jsonb) to service_role;
