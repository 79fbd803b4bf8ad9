"""order flows under concurrency

From sql/ (zora-db revision --autogenerate):
* replace sql/functions/private.record_order_status_change.sql
* create sql/functions/private.serialize_item_changes.sql
* create sql/triggers/public.order_items.serialize_item_changes.sql

Revision ID: 0021
Revises: 0020

Found by running the apps' traffic at the database (zora_db.stress):

* One customer editing an order from two devices deadlocked: a multi-row
  `update order_items … where order_id = …` locks an item, then its trigger
  locks the order; a single-row update on another device had locked its item
  and waited for the order. Before any statement on order items, a
  transaction-level advisory lock per customer is now taken, before any row:
  the second device queues. (Locking the customer's pending orders first was
  tried and left a rare deadlock: the statement trigger's snapshot is newer
  than the statement's, so an order confirmed in between was missed.)
* Status history was stamped with the transaction's start: a vendor whose
  update waited for the order's lock was stamped before the change it waited
  for, and timelines read in time order came out of order. History is stamped
  at the moment of the change (clock_timestamp), after the lock is held.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(r"""
CREATE OR REPLACE FUNCTION private.record_order_status_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      actor uuid := (select p.id from public.profiles p where p.id = (select auth.uid()));
    begin
      -- Stamped now, not at the transaction's start: a vendor's update that
      -- waited for the order's lock lands after the change it waited for, and
      -- its history row must say so.
      insert into public.order_status_history (order_id, from_status, to_status, changed_by,
                                               changed_at)
      values (new.id, old.status, new.status, actor, pg_catalog.clock_timestamp());
      insert into public.notifications (user_id, type, title, description, action_url, data)
      values (
        new.user_id, 'order_status',
        case new.status
          when 'confirmed' then 'Order confirmed'
          when 'preparing' then 'Your order is being prepared'
          when 'ready' then 'Your order is ready'
          when 'out_for_delivery' then 'Your order is on its way'
          when 'delivered' then 'Order delivered'
          when 'cancelled' then 'Order cancelled'
          when 'refunded' then 'Order refunded'
        end,
        'Order #' || left(new.id::text, 8) || ' is now '
          || replace(new.status::text, '_', ' ') || '.',
        '/orders/' || new.id,
        pg_catalog.jsonb_build_object(
          'order_id', new.id, 'from', old.status, 'to', new.status
        )
      );
      return null;
    end
    $function$;

revoke all on function private.record_order_status_change() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.serialize_item_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Before any statement on order items: one customer's item changes go
      -- one at a time (a transaction-level advisory lock per customer, taken
      -- before any row). Each item's trigger locks its order, but only after
      -- the item row is locked; two devices of one customer, one updating
      -- several lines and one a single line, took the two locks in opposite
      -- orders and deadlocked. Only a customer's own requests change items
      -- (the policies allow nothing else but admins and the service role).
      if (select auth.uid()) is not null then
        perform pg_catalog.pg_advisory_xact_lock(
          pg_catalog.hashtextextended('zora order items of ' || (select auth.uid())::text, 0));
      end if;
      return null;
    end
    $function$;

revoke all on function private.serialize_item_changes() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
drop trigger if exists serialize_item_changes on public.order_items;
CREATE TRIGGER serialize_item_changes BEFORE INSERT OR DELETE OR UPDATE ON public.order_items FOR EACH STATEMENT EXECUTE FUNCTION private.serialize_item_changes();
""")


def downgrade() -> None:
    op.execute(r"""
drop trigger if exists serialize_item_changes on public.order_items;
""")

    op.execute(r"""
drop function private.serialize_item_changes();
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.record_order_status_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      actor uuid := (select p.id from public.profiles p where p.id = (select auth.uid()));
    begin
      insert into public.order_status_history (order_id, from_status, to_status, changed_by)
      values (new.id, old.status, new.status, actor);
      insert into public.notifications (user_id, type, title, description, action_url, data)
      values (
        new.user_id, 'order_status',
        case new.status
          when 'confirmed' then 'Order confirmed'
          when 'preparing' then 'Your order is being prepared'
          when 'ready' then 'Your order is ready'
          when 'out_for_delivery' then 'Your order is on its way'
          when 'delivered' then 'Order delivered'
          when 'cancelled' then 'Order cancelled'
          when 'refunded' then 'Order refunded'
        end,
        'Order #' || left(new.id::text, 8) || ' is now '
          || replace(new.status::text, '_', ' ') || '.',
        '/orders/' || new.id,
        pg_catalog.jsonb_build_object(
          'order_id', new.id, 'from', old.status, 'to', new.status
        )
      );
      return null;
    end
    $function$;

revoke all on function private.record_order_status_change() from public, anon, authenticated, service_role;
""")
