"""order rules: prices from products, status transitions, history, notifications

Revision ID: 0004
Revises: 0003

Money cannot be forged. `orders.total` and `order_items.line_total` are
generated columns: a client that sends a total is rejected (SQLSTATE 428C9,
and the generated TypeScript types make it a compile error). Everything a
client could send instead is overwritten from the database: an item's
`unit_price` and `product_name` come from `products`, an order's
`delivery_fee` and `currency` from its vendor, and `subtotal` is the sum of
its items, recomputed (not incremented, so it cannot drift) once per
statement that changes items. Overwriting rather than rejecting these lets
an app send what it displayed (a price may have changed since) and read back
the authoritative row.

Errors the apps can tell apart (SQLSTATE):
  ZA001  invalid order status transition (or a new order not 'pending')
  ZA002  product unavailable (inactive, or gone)
  ZA003  product of another vendor or currency than the order
  ZA004  order items added, changed or removed after the order left 'pending'
  ZA005  vendor not accepting orders (not verified or inactive)

The vendor's "new order" notification is a deferred constraint trigger: it
fires at commit, when the order's items are in, so it can state the real
total (the seed's 017 message) and still commits or rolls back with the order.
order_status_history records changes (who, from, to, when); the order's own
user_id and created_at record its placing, so no row is written for that.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    -- ------------------------------------------------------------ transitions

    create function private.order_transition_allowed(
      from_status public.order_status, to_status public.order_status
    ) returns boolean
      language sql immutable parallel safe
      set search_path = ''
    as $$
      select (from_status, to_status) in (
        ('pending', 'confirmed'), ('pending', 'cancelled'),
        ('confirmed', 'preparing'), ('confirmed', 'cancelled'),
        ('preparing', 'ready'), ('preparing', 'cancelled'),
        ('ready', 'out_for_delivery'), ('ready', 'delivered'), ('ready', 'cancelled'),
        ('out_for_delivery', 'delivered'),
        ('delivered', 'refunded')
      )
    $$;
    comment on function private.order_transition_allowed(public.order_status, public.order_status)
      is 'The order life cycle: pending → confirmed → preparing → ready → '
         '(out_for_delivery →) delivered → refunded; cancelled before dispatch. '
         'Nothing leaves cancelled or refunded.';

    create function private.check_order_transition() returns trigger
      language plpgsql
      set search_path = ''
    as $$
    begin
      if not private.order_transition_allowed(old.status, new.status) then
        raise exception 'order % cannot go from % to %', old.id, old.status, new.status
          using errcode = 'ZA001',
                hint = 'allowed: pending → confirmed → preparing → ready → '
                       '(out_for_delivery →) delivered → refunded; cancel before dispatch';
      end if;
      return new;
    end
    $$;

    create trigger check_order_transition
      before update of status on public.orders
      for each row when (old.status is distinct from new.status)
      execute function private.check_order_transition();

    -- ------------------------------------------------------------ new orders

    create function private.prepare_new_order() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
    declare
      shop record;
    begin
      if new.status <> 'pending' then
        raise exception 'a new order starts as pending, not %', new.status
          using errcode = 'ZA001';
      end if;
      select v.delivery_fee, v.currency, v.is_verified and v.is_active as open
        into shop from public.vendors v where v.id = new.vendor_id;
      if not found or not shop.open then
        raise exception 'vendor % is not accepting orders', new.vendor_id
          using errcode = 'ZA005';
      end if;
      new.subtotal := 0;  -- the items set it
      new.delivery_fee := shop.delivery_fee;
      new.currency := shop.currency;
      return new;
    end
    $$;

    create trigger prepare_new_order
      before insert on public.orders
      for each row execute function private.prepare_new_order();

    create function private.announce_new_order() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
    begin
      -- Deferred to commit: read the order as it is now, with its items (one
      -- statement, as this runs once per order). Nothing if it is gone.
      insert into public.notifications (user_id, type, title, description, action_url, data)
      select v.user_id, 'order', 'New Order Received!',
             'You have received a new order worth '
               || case o.currency when 'GBP' then '£' when 'EUR' then '€' when 'USD' then '$'
                  else o.currency || ' ' end
               || pg_catalog.to_char(o.total, 'FM999999990.00'),
             '/orders/' || o.id,
             pg_catalog.jsonb_build_object('order_id', o.id)
        from public.orders o join public.vendors v on v.id = o.vendor_id
       where o.id = new.id;
      return null;
    end
    $$;

    create constraint trigger announce_new_order
      after insert on public.orders
      deferrable initially deferred
      for each row execute function private.announce_new_order();

    -- ------------------------------------------------------------ status changes

    create function private.record_order_status_change() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
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
    $$;

    create trigger record_order_status_change
      after update of status on public.orders
      for each row when (old.status is distinct from new.status)
      execute function private.record_order_status_change();

    -- ------------------------------------------------------------ items and money

    create function private.price_order_item() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
    declare
      target uuid := case tg_op when 'DELETE' then old.order_id else new.order_id end;
      ord record;
    begin
      -- One lookup for the order and the product. Locking the order queues
      -- item writers, so each statement's subtotal recount (in a later
      -- snapshot) sees the items committed before it, and no item slips in
      -- while the order is being confirmed.
      select o.status, o.vendor_id, o.currency,
             p.id as product_id, p.name, p.price, p.is_active,
             p.vendor_id as product_vendor_id, p.currency as product_currency
        into ord
        from public.orders o
        left join public.products p
          on tg_op <> 'DELETE' and p.id = new.product_id
       where o.id = target
         for no key update of o;
      if not found then
        -- A missing order: the foreign key reports it. Or a cascade from the
        -- order's own deletion: let it through.
        return case tg_op when 'DELETE' then old else new end;
      end if;
      if ord.status <> 'pending' then
        raise exception 'order % is %: its items can no longer change', target, ord.status
          using errcode = 'ZA004';
      end if;
      if tg_op = 'DELETE' then
        return old;
      end if;
      if tg_op = 'UPDATE' and new.product_id is not distinct from old.product_id
         and new.quantity = old.quantity and new.order_id = old.order_id then
        new.unit_price := old.unit_price;  -- nothing to re-price; keep what was charged
        new.product_name := old.product_name;
        return new;
      end if;
      if ord.product_id is null or not ord.is_active then
        raise exception 'product % is not available', new.product_id
          using errcode = 'ZA002';
      end if;
      if ord.product_vendor_id <> ord.vendor_id or ord.product_currency <> ord.currency then
        raise exception 'product % is not sold by this order''s vendor in %',
          new.product_id, ord.currency
          using errcode = 'ZA003';
      end if;
      new.unit_price := ord.price;
      new.product_name := ord.name;
      return new;
    end
    $$;

    create trigger price_order_item
      before insert or update or delete on public.order_items
      for each row execute function private.price_order_item();

    create function private.order_items_changed() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
    begin
      -- Unexecuted branches never touch the transition tables they name,
      -- so one function serves the three statement-level triggers.
      if tg_op = 'DELETE' then
        perform private.recompute_subtotals(array(select distinct order_id from old_items));
      elsif tg_op = 'INSERT' then
        perform private.recompute_subtotals(array(select distinct order_id from new_items));
      else
        perform private.recompute_subtotals(array(
          select order_id from new_items union select order_id from old_items
        ));
      end if;
      return null;
    end
    $$;

    create function private.recompute_subtotals(order_ids uuid[]) returns void
      language sql
      security definer
      set search_path = ''
    as $$
      update public.orders o
         set subtotal = coalesce(s.total, 0)
        from pg_catalog.unnest(order_ids) as changed (id)
        left join lateral (
          select sum(i.line_total) as total from public.order_items i where i.order_id = changed.id
        ) s on true
       where o.id = changed.id
    $$;

    create trigger order_items_inserted
      after insert on public.order_items
      referencing new table as new_items
      for each statement execute function private.order_items_changed();
    create trigger order_items_updated
      after update on public.order_items
      referencing old table as old_items new table as new_items
      for each statement execute function private.order_items_changed();
    create trigger order_items_deleted
      after delete on public.order_items
      referencing old table as old_items
      for each statement execute function private.order_items_changed();

    -- ------------------------------------------------------------ cart consistency

    create function private.cart_item_vendor() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
    begin
      -- The app sends vendor_id for convenience; the product decides it.
      new.vendor_id := coalesce(
        (select p.vendor_id from public.products p where p.id = new.product_id),
        new.vendor_id  -- no such product: the foreign key says so
      );
      return new;
    end
    $$;

    create trigger cart_item_vendor
      before insert or update of product_id, vendor_id on public.cart_items
      for each row execute function private.cart_item_vendor();

    revoke all on function
      private.order_transition_allowed(public.order_status, public.order_status),
      private.check_order_transition(), private.prepare_new_order(),
      private.announce_new_order(), private.record_order_status_change(),
      private.price_order_item(), private.order_items_changed(),
      private.recompute_subtotals(uuid[]), private.cart_item_vendor()
      from public;
    """)


def downgrade() -> None:
    op.execute("""
    drop trigger cart_item_vendor on public.cart_items;
    drop trigger order_items_deleted on public.order_items;
    drop trigger order_items_updated on public.order_items;
    drop trigger order_items_inserted on public.order_items;
    drop trigger price_order_item on public.order_items;
    drop trigger record_order_status_change on public.orders;
    drop trigger announce_new_order on public.orders;
    drop trigger prepare_new_order on public.orders;
    drop trigger check_order_transition on public.orders;
    drop function private.cart_item_vendor(), private.order_items_changed(),
      private.recompute_subtotals(uuid[]), private.price_order_item(),
      private.record_order_status_change(), private.announce_new_order(),
      private.prepare_new_order(), private.check_order_transition(),
      private.order_transition_allowed(public.order_status, public.order_status);
    """)
