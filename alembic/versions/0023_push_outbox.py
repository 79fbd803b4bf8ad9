"""push outbox

Every notification's push half: `private.push_outbox` gets one row per
active device of the notified user, in the notification's own transaction,
and a NOTIFY wakes `zora-db push run`, which claims rows with FOR UPDATE
SKIP LOCKED and a lease, sends them to Expo with no transaction open, and
records tickets and receipts. Device tokens gain `is_active`: Expo's
DeviceNotRegistered deactivates one, the app registering it again
reactivates it. Dead rows are re-queued by `private.push_requeue_dead`,
finished ones pruned by `private.push_prune` (7 days).

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(r"""
-- Token hygiene: a dead token is deactivated by the worker; the app writing
-- its token again (a re-registration, PostgREST's upsert) reactivates it.
alter table public.device_tokens
  add column is_active boolean not null default true,
  add column deactivated_at timestamptz,
  add column deactivated_reason text;
comment on column public.device_tokens.is_active is 'False once Expo said DeviceNotRegistered; the app registering the token again sets it back.';

CREATE OR REPLACE FUNCTION private.reactivate_device_token()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    begin
      -- A write that does not itself change is_active is the app registering
      -- its token (the API roles may not write is_active): it is alive again.
      if not old.is_active and new.is_active is not distinct from old.is_active then
        new.is_active := true;
        new.deactivated_at := null;
        new.deactivated_reason := null;
      end if;
      return new;
    end
$function$;
comment on function private.reactivate_device_token() is 'BEFORE UPDATE on device_tokens: a re-registered token is active again.';
revoke all on function private.reactivate_device_token() from public, anon, authenticated, service_role;
create trigger reactivate_device_token before update on public.device_tokens
  for each row execute function private.reactivate_device_token();

-- The push outbox: one row per notification and active device, written in
-- the notification's transaction (a rollback leaves none), read by
-- `zora-db push run`. A plain logged table: it survives a crash and needs no
-- extension (hosted Supabase's pgmq is 1.4, without notify-on-insert).
create table private.push_outbox (
  id bigint generated always as identity primary key,
  notification_id uuid not null references public.notifications (id) on delete cascade,
  user_id uuid not null,
  token text not null,
  state text not null default 'pending'
    check (state in ('pending', 'sending', 'sent', 'delivered', 'unconfirmed', 'dead')),
  attempts integer not null default 0,
  not_before timestamptz not null default now(),
  lease_until timestamptz,
  ticket_id text,
  sent_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (notification_id, token)
);
comment on table private.push_outbox is 'Push messages to send (zora-db push run): pending -> sending (leased) -> sent (ticket) -> delivered (receipt), unconfirmed (no receipt in 24 h) or dead.';
create index push_outbox_pending_idx on private.push_outbox (not_before, id) where state = 'pending';
create index push_outbox_leased_idx on private.push_outbox (lease_until) where state = 'sending';
create index push_outbox_sent_idx on private.push_outbox (sent_at) where state = 'sent';
create index push_outbox_finished_idx on private.push_outbox (updated_at) where state in ('delivered', 'unconfirmed', 'dead');
alter table private.push_outbox enable row level security;
revoke all on table private.push_outbox from public, anon, authenticated, service_role;

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
create trigger queue_push after insert on public.notifications
  for each row execute function private.queue_push();

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
comment on function private.push_requeue_dead(bigint[]) is 'Push: send dead rows again (all, or the ids given); zora-db push requeue.';
revoke all on function private.push_requeue_dead(bigint[]) from public, anon, authenticated, service_role;

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
comment on function private.push_prune(interval) is 'Push retention: drop finished rows older than p_keep (default 7 days); the worker calls it hourly.';
revoke all on function private.push_prune(interval) from public, anon, authenticated, service_role;
""")


def downgrade() -> None:
    op.execute(r"""
drop function if exists private.push_prune(interval);
drop function if exists private.push_requeue_dead(bigint[]);
drop trigger if exists queue_push on public.notifications;
drop function if exists private.queue_push();
drop table if exists private.push_outbox;
drop trigger if exists reactivate_device_token on public.device_tokens;
drop function if exists private.reactivate_device_token();
alter table public.device_tokens
  drop column if exists deactivated_reason,
  drop column if exists deactivated_at,
  drop column if exists is_active;
""")
