"""create_order replays safely: an optional idempotency key

Revision ID: 0017
Revises: 0016

The apps queue writes while offline and replay them; a `create_order` whose
response was lost is replayed, and placed the order twice. The client now
sends a key it generated for the order (a uuid). The first call with a key
places the order and keeps the key on it (unique per customer); a replay with
the same key returns that order and creates nothing; the same key with other
items or another shop is refused with ZA008, since it cannot be the same
order. Two replays racing each other: the unique index makes one wait for
the other, which then returns the order the first placed.

The function gains a parameter, so the old one is dropped (two overloads
would make PostgREST's `rpc` ambiguous) and its grants given again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    alter table public.orders add column idempotency_key uuid;
    comment on column public.orders.idempotency_key is
      'The key the app sent with create_order; a replay with it returns this order.';
    create unique index orders_idempotency_key on public.orders (user_id, idempotency_key)
      where idempotency_key is not null;
    grant insert (idempotency_key) on table public.orders to authenticated;
    """)

    op.execute("""
    create function private.replayed_order(placed public.orders, vendor_id uuid, items jsonb)
      returns public.orders language plpgsql stable set search_path = ''
    as $$
    begin
      -- The same order, or a reuse of its key: compare the shop and the items
      -- (quantities summed per product, in any order).
      if placed.vendor_id is distinct from replayed_order.vendor_id or exists (
        (select i.product_id, sum(i.quantity) from public.order_items i
          where i.order_id = placed.id group by i.product_id)
        except
        (select (item ->> 'product_id')::uuid, sum(coalesce((item ->> 'quantity')::int, 1))
           from pg_catalog.jsonb_array_elements(items) as item group by 1)
      ) or exists (
        (select (item ->> 'product_id')::uuid, sum(coalesce((item ->> 'quantity')::int, 1))
           from pg_catalog.jsonb_array_elements(items) as item group by 1)
        except
        (select i.product_id, sum(i.quantity) from public.order_items i
          where i.order_id = placed.id group by i.product_id)
      ) then
        raise exception 'idempotency key % was used for another order', placed.idempotency_key
          using errcode = 'ZA008',
                hint = 'send a new key for a new order';
      end if;
      return placed;
    end
    $$;
    revoke all on function private.replayed_order(public.orders, uuid, jsonb)
      from public, anon, authenticated, service_role;
    grant execute on function private.replayed_order(public.orders, uuid, jsonb)
      to authenticated, service_role;

    drop function public.create_order(uuid, jsonb, uuid, text);
    create function public.create_order(
      vendor_id uuid, items jsonb, address_id uuid default null, notes text default null,
      idempotency_key uuid default null
    ) returns public.orders language plpgsql set search_path = ''
    as $$
    declare
      placed public.orders;
      violated text;
    begin
      if items is null or pg_catalog.jsonb_typeof(items) <> 'array'
         or pg_catalog.jsonb_array_length(items) = 0 then
        raise exception 'items must be a non-empty array of {product_id, quantity}'
          using errcode = '22023';
      end if;
      if create_order.idempotency_key is not null then
        select * into placed from public.orders o
         where o.user_id = (select auth.uid()) and o.idempotency_key = create_order.idempotency_key;
        if found then
          return private.replayed_order(placed, create_order.vendor_id, items);
        end if;
      end if;
      -- Named before the order is inserted, so that prepare_new_order inserts it
      -- with its final subtotal: Realtime sends the INSERT as the row was
      -- inserted, and the vendor's "New Order Received!" shows that total.
      perform pg_catalog.set_config('zora.new_order_items', items::text, true);
      begin
        insert into public.orders (user_id, vendor_id, address_id, notes, idempotency_key)
        values ((select auth.uid()), create_order.vendor_id, create_order.address_id,
                create_order.notes, create_order.idempotency_key)
        returning * into placed;
      exception when unique_violation then
        get stacked diagnostics violated = constraint_name;
        if violated is distinct from 'orders_idempotency_key' then
          raise;
        end if;
        -- A replay raced this call and won: its order is committed now.
        select * into placed from public.orders o
         where o.user_id = (select auth.uid()) and o.idempotency_key = create_order.idempotency_key;
        return private.replayed_order(placed, create_order.vendor_id, items);
      end;
      perform pg_catalog.set_config('zora.new_order_items', '', true);
      -- Prices, names and the subtotal come from the triggers, never from here.
      insert into public.order_items (order_id, product_id, quantity)
      select placed.id, (item ->> 'product_id')::uuid, coalesce((item ->> 'quantity')::int, 1)
        from pg_catalog.jsonb_array_elements(items) as item;
      select * into placed from public.orders o where o.id = placed.id;
      return placed;
    end
    $$;
    comment on function public.create_order(uuid, jsonb, uuid, text, uuid) is
      'Place an order with its items in one transaction; returns the priced order. A replay with the same idempotency_key returns the same order.';
    revoke all on function public.create_order(uuid, jsonb, uuid, text, uuid)
      from public, anon, authenticated, service_role;
    grant execute on function public.create_order(uuid, jsonb, uuid, text, uuid)
      to authenticated, service_role;
    """)


def downgrade() -> None:
    op.execute("""
    drop function public.create_order(uuid, jsonb, uuid, text, uuid);
    create function public.create_order(
      vendor_id uuid, items jsonb, address_id uuid default null, notes text default null
    ) returns public.orders language plpgsql set search_path = ''
    as $$
    declare
      placed public.orders;
    begin
      if items is null or pg_catalog.jsonb_typeof(items) <> 'array'
         or pg_catalog.jsonb_array_length(items) = 0 then
        raise exception 'items must be a non-empty array of {product_id, quantity}'
          using errcode = '22023';
      end if;
      perform pg_catalog.set_config('zora.new_order_items', items::text, true);
      insert into public.orders (user_id, vendor_id, address_id, notes)
      values ((select auth.uid()), create_order.vendor_id, create_order.address_id,
              create_order.notes)
      returning * into placed;
      perform pg_catalog.set_config('zora.new_order_items', '', true);
      insert into public.order_items (order_id, product_id, quantity)
      select placed.id, (item ->> 'product_id')::uuid, coalesce((item ->> 'quantity')::int, 1)
        from pg_catalog.jsonb_array_elements(items) as item;
      select * into placed from public.orders o where o.id = placed.id;
      return placed;
    end
    $$;
    comment on function public.create_order(uuid, jsonb, uuid, text) is
      'Place an order with its items in one transaction; returns the priced order.';
    revoke all on function public.create_order(uuid, jsonb, uuid, text)
      from public, anon, authenticated, service_role;
    grant execute on function public.create_order(uuid, jsonb, uuid, text)
      to authenticated, service_role;
    drop function private.replayed_order(public.orders, uuid, jsonb);
    revoke insert (idempotency_key) on table public.orders from authenticated;
    drop index public.orders_idempotency_key;
    alter table public.orders drop column idempotency_key;
    """)
