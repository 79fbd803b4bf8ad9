"""private realtime channels: announcements and admin presence

From sql/ (zora-db revision --autogenerate):
* replace sql/functions/public.broadcast_event.sql
* create sql/policies/realtime.messages.messages_insert.sql
* create sql/policies/realtime.messages.messages_select.sql

Revision ID: 0015
Revises: 0014

The admin dashboard sends announcements on `platform-announcements` (event
`announcement`) and tracks presence on `admin-dashboard`. On public channels
anyone holding the anon key can send a forged announcement or join the
admins' presence. As private channels, Supabase Realtime asks
realtime.messages who may: it reads as the user with `realtime.topic` set
(join and receive), and inserts as the user (send, track presence).

* messages_select: signed-in users read broadcasts on platform-announcements;
  admins read every channel, admin-dashboard presence included.
* messages_insert: only admins write: announcements, and their presence.

broadcast_event sends through realtime.send on a private channel, so the
same rules decide who receives it (it was NOTIFY on vanilla PostgreSQL).
The apps open these two channels with `{ config: { private: true } }`.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(r"""
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
""")

    op.execute(r"""
drop policy if exists messages_insert on realtime.messages;
create policy messages_insert on realtime.messages
  as permissive
  for insert
  to authenticated
  with check (( SELECT private.is_admin() AS is_admin));
""")

    op.execute(r"""
drop policy if exists messages_select on realtime.messages;
create policy messages_select on realtime.messages
  as permissive
  for select
  to authenticated
  using ((((extension = 'broadcast'::text) AND (( SELECT realtime.topic() AS topic) = 'platform-announcements'::text)) OR ( SELECT private.is_admin() AS is_admin)));
""")


def downgrade() -> None:
    op.execute(r"""
drop policy messages_select on realtime.messages;
""")

    op.execute(r"""
drop policy messages_insert on realtime.messages;
""")

    op.execute(r"""
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
""")
