CREATE OR REPLACE FUNCTION public.broadcast_event(channel text, event text, payload jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
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
      -- Realtime Broadcast from the database, on a private channel: realtime.send
      -- inserts into realtime.messages as the caller, so the channel's policies
      -- apply (admins may send) and its subscribers' read policies decide who
      -- receives it. On vanilla PostgreSQL `zora-db bootstrap` provides it.
      perform realtime.send(payload, event, channel, true);
    end
    $function$;

comment on function public.broadcast_event(channel text, event text, payload jsonb) is 'Broadcast an event on a private Realtime channel (realtime.send); admins and the service role only.';
revoke all on function public.broadcast_event(channel text, event text, payload jsonb) from public, anon, authenticated, service_role;
grant execute on function public.broadcast_event(channel text, event text, payload jsonb) to authenticated;
grant execute on function public.broadcast_event(channel text, event text, payload jsonb) to service_role;
