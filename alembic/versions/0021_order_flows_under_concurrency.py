"""order flows under concurrency

From sql/ (zora-db revision --autogenerate):
* create sql/functions/private.lock_pending_orders.sql
* replace sql/functions/private.record_order_status_change.sql
* create sql/triggers/public.order_items.lock_pending_orders.sql

Revision ID: 0021
Revises: 0020

Found by running the apps' traffic at the database (16 sessions):

* One customer editing an order from two devices deadlocked: a multi-row
  `update order_items … where order_id = …` locks an item, then its trigger
  locks the order; a single-row update on another device had locked its item
  and waited for the order. Before any statement on order items, the caller's
  pending orders are now locked in id order, so the second device queues.
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
CREATE OR REPLACE FUNCTION private.lock_pending_orders()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Before a statement changes order items: the caller's pending orders
      -- (the only ones whose items they may change), locked in id order. Each
      -- item's trigger locks its order too, but only after the item row is
      -- locked; two devices of one customer, one updating several lines and
      -- one a single line, then took the two locks in opposite orders and
      -- deadlocked. Taken here first, the second device queues instead.
      perform from public.orders o
        where o.user_id = (select auth.uid()) and o.status = 'pending'
        order by o.id
        for no key update;
      return null;
    end
    $function$;

revoke all on function private.lock_pending_orders() from public, anon, authenticated, service_role;
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
drop trigger if exists lock_pending_orders on public.order_items;
CREATE TRIGGER lock_pending_orders BEFORE INSERT OR DELETE OR UPDATE ON public.order_items FOR EACH STATEMENT EXECUTE FUNCTION private.lock_pending_orders();
""")


def downgrade() -> None:
    op.execute(r"""
drop trigger if exists lock_pending_orders on public.order_items;
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

    op.execute(r"""
drop function private.lock_pending_orders();
""")
