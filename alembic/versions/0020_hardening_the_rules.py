"""hardening the rules

From sql/ (zora-db revision --autogenerate):
* create sql/functions/private.address_snapshot.sql
* replace sql/functions/private.check_review.sql
* create sql/functions/private.keep_delivery_address.sql
* create sql/functions/private.limit_rows_per_owner.sql
* create sql/functions/private.max_order_items.sql
* create sql/functions/private.may_see_order.sql
* replace sql/functions/private.order_items_changed.sql
* replace sql/functions/private.prepare_new_order.sql
* replace sql/functions/private.price_order_item.sql
* create sql/functions/private.vendors_near.sql
* replace sql/functions/public.create_order.sql
* replace sql/functions/public.nearby_vendors.sql
* create sql/triggers/public.addresses.limit_rows_per_owner.sql
* create sql/triggers/public.cart_items.limit_rows_per_owner.sql
* create sql/triggers/public.device_tokens.limit_rows_per_owner.sql
* create sql/triggers/public.favorites.limit_rows_per_owner.sql
* create sql/triggers/public.orders.keep_delivery_address.sql

Revision ID: 0020
Revises: 0019

Found by attacking the API as a hostile client would:

* Unbounded work per request: create_order took 100 000 items (3 s, a £449
  million order) although system_config says orders.max_items = 50; now the
  limit holds for create_order (checked first) and for items inserted
  directly (ZA010). A customer holds at most 20 addresses, 100 cart lines,
  20 device tokens and 500 favourites (one request of 10 000 addresses is
  refused whole).
* Oracles: price_order_item and check_review run as their owner and raised
  ZA004 / ZA003 / ZA006 with another customer's order status or shop before
  row level security refused the row. Both now refuse an API caller who may
  not read the order with 42501 first, as RLS itself would.
* A shop's owner could order from the shop, then review it: ZA009 now.
* Orders keep their delivery address (0018's delivery_address): filled at
  placement and when the customer picks another address while pending,
  from the customer's own addresses only.
* nearby_vendors under RLS: the cube operators are not leakproof, so the
  bounding box stopped being an index condition and a sparse area walked
  every shop (485 ms as anon over 100 000 shops). The search runs as its
  owner in private.vendors_near and returns only verified, active shops.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(r"""
CREATE OR REPLACE FUNCTION private.address_snapshot(address_id uuid, user_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- What an order keeps of its delivery address: the customer's own
      -- address as it is now, whatever later happens to the address row.
      return (
        select pg_catalog.jsonb_build_object(
                 'label', a.label, 'recipient_name', a.recipient_name, 'phone', a.phone,
                 'line1', a.line1, 'line2', a.line2, 'city', a.city, 'postcode', a.postcode,
                 'country', a.country, 'latitude', a.latitude, 'longitude', a.longitude)
          from public.addresses a
         where a.id = address_snapshot.address_id and a.user_id = address_snapshot.user_id
      );
    end
    $function$;

revoke all on function private.address_snapshot(address_id uuid, user_id uuid) from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.check_review()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      ord record;
    begin
      select o.user_id, o.vendor_id, o.status into ord
        from public.orders o where o.id = new.order_id;
      if not found then
        return new;  -- the foreign key reports the missing order
      end if;
      if not private.may_see_order(new.order_id) then
        -- Another customer's order: say no more than row level security would
        -- (its status and shop stay unknown).
        raise exception 'new row violates row-level security policy for table "reviews"'
          using errcode = '42501';
      end if;
      if ord.user_id <> new.user_id or ord.status <> 'delivered' then
        raise exception 'a review needs a delivered order of its author'
          using errcode = 'ZA006',
                detail = pg_catalog.format('order %s is %s', new.order_id, ord.status);
      end if;
      if new.product_id is not null and not exists (
        select from public.order_items i
        where i.order_id = new.order_id and i.product_id = new.product_id
      ) then
        raise exception 'product % is not part of order %', new.product_id, new.order_id
          using errcode = 'ZA006';
      end if;
      new.vendor_id := ord.vendor_id;
      return new;
    end
    $function$;

revoke all on function private.check_review() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.keep_delivery_address()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- A new address chosen for the order (while pending) is the one kept;
      -- the address row being deleted (ON DELETE SET NULL) keeps the old one.
      if new.address_id is not null then
        new.delivery_address := private.address_snapshot(new.address_id, new.user_id);
      end if;
      return new;
    end
    $function$;

revoke all on function private.keep_delivery_address() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.limit_rows_per_owner()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      over uuid;
    begin
      -- After an insert (one statement, however many rows): no owner may hold
      -- more than tg_argv[0] rows of this table. One request inserting 10 000
      -- addresses is refused whole.
      execute pg_catalog.format(
        'select t.user_id from %I.%I t where t.user_id in (select n.user_id from new_rows n) '
        'group by t.user_id having count(*) > %s limit 1',
        tg_table_schema, tg_table_name, tg_argv[0]::integer)
        into over;
      if over is not null then
        raise exception 'at most % rows of % per user', tg_argv[0], tg_table_name
          using errcode = 'ZA010';
      end if;
      return null;
    end
    $function$;

revoke all on function private.limit_rows_per_owner() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.max_order_items()
 RETURNS integer
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- system_config's orders.max_items (admins set it; nobody else reads it).
      return coalesce(
        (select (c.value #>> '{}')::integer from public.system_config c
          where c.key = 'orders.max_items'),
        50);
    end
    $function$;

revoke all on function private.max_order_items() from public, anon, authenticated, service_role;
grant execute on function private.max_order_items() to authenticated;
grant execute on function private.max_order_items() to service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.may_see_order(order_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- For SECURITY DEFINER triggers, which run as the owner: whether the
      -- API caller (PostgREST's role) could read the order. The owner, the
      -- service role and other database users are not limited.
      if pg_catalog.current_setting('role', true) not in ('anon', 'authenticated') then
        return true;
      end if;
      return exists (
        select from public.orders o
         where o.id = may_see_order.order_id
           and (o.user_id = (select auth.uid())
                or o.vendor_id = (select private.current_vendor_id())
                or (select private.is_admin()))
      );
    end
    $function$;

revoke all on function private.may_see_order(order_id uuid) from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.order_items_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Unexecuted branches never touch the transition tables they name,
      -- so one function serves the three statement-level triggers.
      if tg_op = 'DELETE' then
        perform private.recompute_subtotals(array(select distinct order_id from old_items));
      elsif tg_op = 'INSERT' then
        -- One request must not grow an order without bound (create_order
        -- checks first; this covers items inserted directly).
        if exists (
          select from public.order_items i
           where i.order_id in (select distinct n.order_id from new_items n)
           group by i.order_id having count(*) > private.max_order_items()
        ) then
          raise exception 'an order holds at most % items', private.max_order_items()
            using errcode = 'ZA010';
        end if;
        perform private.recompute_subtotals(array(select distinct order_id from new_items));
      else
        perform private.recompute_subtotals(array(
          select order_id from new_items union select order_id from old_items
        ));
      end if;
      return null;
    end
    $function$;

revoke all on function private.order_items_changed() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.prepare_new_order()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      shop record;
    begin
      if new.status <> 'pending' then
        raise exception 'a new order starts as pending, not %', new.status
          using errcode = 'ZA001';
      end if;
      select v.delivery_fee, v.currency, v.is_verified and v.is_active as open,
             v.user_id as owner
        into shop from public.vendors v where v.id = new.vendor_id;
      if not found or not shop.open then
        raise exception 'vendor % is not accepting orders', new.vendor_id
          using errcode = 'ZA005';
      end if;
      if shop.owner = new.user_id then
        -- An order from one's own shop could only serve to review it.
        raise exception 'a shop''s owner cannot order from it'
          using errcode = 'ZA009';
      end if;
      new.delivery_address := private.address_snapshot(new.address_id, new.user_id);
      -- Priced from the products, never from the caller. create_order names
      -- its items first (zora.new_order_items), so the order is inserted with
      -- the subtotal its items will have and their triggers change nothing;
      -- any other insert starts at 0 and its items set it.
      new.subtotal := coalesce((
        select sum(p.price * coalesce(i.quantity, 1))
          from pg_catalog.jsonb_to_recordset(
                 nullif(pg_catalog.current_setting('zora.new_order_items', true), '')::jsonb
               ) as i (product_id uuid, quantity integer)
          join public.products p on p.id = i.product_id
         where p.vendor_id = new.vendor_id and p.is_active
      ), 0);
      new.delivery_fee := shop.delivery_fee;
      new.currency := shop.currency;
      return new;
    end
    $function$;

revoke all on function private.prepare_new_order() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.price_order_item()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      target uuid := case tg_op when 'DELETE' then old.order_id else new.order_id end;
      ord record;
    begin
      if tg_op = 'UPDATE' and new.product_id is null and old.product_id is not null
         and new.quantity = old.quantity and new.order_id = old.order_id then
        -- The product was deleted (ON DELETE SET NULL): the item keeps the name
        -- and price it was sold with, whatever the order's status.
        new.unit_price := old.unit_price;
        new.product_name := old.product_name;
        return new;
      end if;
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
      if not private.may_see_order(target) then
        -- Before anything about the order is said (its status, its shop):
        -- an API caller learns no more than row level security would tell.
        raise exception 'new row violates row-level security policy for table "order_items"'
          using errcode = '42501';
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
    $function$;

revoke all on function private.price_order_item() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer)
 RETURNS TABLE(id uuid, shop_name text, description text, logo_url text, address_line text, city text, latitude double precision, longitude double precision, rating numeric, review_count integer, delivery_fee numeric, distance_km double precision)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      center extensions.cube;
      chord double precision;
    begin
      -- Verified, active shops only: exactly what vendors' policy shows anyone.
      center := private.earth_point(lat, lng);
      chord := 2 * 6371.0088 * pg_catalog.sin(radius_km / (2 * 6371.0088));
      return query
        select v.id, v.shop_name, v.description, v.logo_url, v.address_line, v.city,
               v.latitude, v.longitude, v.rating, v.review_count, v.delivery_fee::numeric,
               -- great-circle distance from the chord between the two points
               2 * 6371.0088 * pg_catalog.asin(least(1.0::double precision,
                 (private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center)
                 / (2 * 6371.0088))) as distance_km
          from public.vendors v
         where v.is_verified and v.is_active and v.latitude is not null
           and private.earth_point(v.latitude, v.longitude)
               operator(extensions.<@) extensions.cube_enlarge(center, chord, 3)
           and (private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center)
               <= chord
         order by private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center
         limit max_results;
    end
    $function$;

comment on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) is 'The search behind public.nearby_vendors, outside row level security (see there).';
revoke all on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) from public, anon, authenticated, service_role;
grant execute on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) to anon;
grant execute on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) to authenticated;
grant execute on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) to service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION public.create_order(vendor_id uuid, items jsonb, address_id uuid DEFAULT NULL::uuid, notes text DEFAULT NULL::text, idempotency_key uuid DEFAULT NULL::uuid)
 RETURNS orders
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    declare
      placed public.orders;
      violated text;
    begin
      if items is null or pg_catalog.jsonb_typeof(items) <> 'array'
         or pg_catalog.jsonb_array_length(items) = 0 then
        raise exception 'items must be a non-empty array of {product_id, quantity}'
          using errcode = '22023';
      end if;
      if pg_catalog.jsonb_array_length(items) > private.max_order_items() then
        raise exception 'an order holds at most % items', private.max_order_items()
          using errcode = 'ZA010',
                hint = 'system_config orders.max_items sets the limit';
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
    $function$;

comment on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) is 'Place an order with its items in one transaction; returns the priced order. A replay with the same idempotency_key returns the same order.';
revoke all on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) from public, anon, authenticated, service_role;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) to authenticated;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) to service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION public.nearby_vendors(lat double precision, lng double precision, radius_km double precision DEFAULT 10, max_results integer DEFAULT 20)
 RETURNS TABLE(id uuid, shop_name text, description text, logo_url text, address_line text, city text, latitude double precision, longitude double precision, rating numeric, review_count integer, delivery_fee numeric, distance_km double precision)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
    begin
      if lat is null or lng is null or lat not between -90 and 90
         or lng not between -180 and 180 then
        raise exception 'lat must be within ±90 and lng within ±180'
          using errcode = '22023';
      end if;
      if radius_km is null or radius_km <= 0 or radius_km > 500 then
        raise exception 'radius_km must be more than 0 and at most 500'
          using errcode = '22023';
      end if;
      if max_results is null or max_results not between 1 and 100 then
        raise exception 'max_results must be between 1 and 100'
          using errcode = '22023';
      end if;
      -- The search runs as its owner: under the caller's row level security the
      -- cube operators (not leakproof) stop being index conditions and a
      -- sparse area walks every shop. It returns only what anyone may see.
      return query select * from private.vendors_near(lat, lng, radius_km, max_results);
    end
    $function$;

comment on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) is 'Verified vendors within radius_km of (lat, lng), nearest first, with distance_km.';
revoke all on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) from public, anon, authenticated, service_role;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to anon;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to authenticated;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to service_role;
""")

    op.execute(r"""
drop trigger if exists limit_rows_per_owner on public.addresses;
CREATE TRIGGER limit_rows_per_owner AFTER INSERT ON public.addresses REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION private.limit_rows_per_owner('20');
""")

    op.execute(r"""
drop trigger if exists limit_rows_per_owner on public.cart_items;
CREATE TRIGGER limit_rows_per_owner AFTER INSERT ON public.cart_items REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION private.limit_rows_per_owner('100');
""")

    op.execute(r"""
drop trigger if exists limit_rows_per_owner on public.device_tokens;
CREATE TRIGGER limit_rows_per_owner AFTER INSERT ON public.device_tokens REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION private.limit_rows_per_owner('20');
""")

    op.execute(r"""
drop trigger if exists limit_rows_per_owner on public.favorites;
CREATE TRIGGER limit_rows_per_owner AFTER INSERT ON public.favorites REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION private.limit_rows_per_owner('500');
""")

    op.execute(r"""
drop trigger if exists keep_delivery_address on public.orders;
CREATE TRIGGER keep_delivery_address BEFORE UPDATE OF address_id ON public.orders FOR EACH ROW WHEN ((old.address_id IS DISTINCT FROM new.address_id)) EXECUTE FUNCTION private.keep_delivery_address();
""")


def downgrade() -> None:
    op.execute(r"""
drop trigger if exists keep_delivery_address on public.orders;
""")

    op.execute(r"""
drop trigger if exists limit_rows_per_owner on public.favorites;
""")

    op.execute(r"""
drop trigger if exists limit_rows_per_owner on public.device_tokens;
""")

    op.execute(r"""
drop trigger if exists limit_rows_per_owner on public.cart_items;
""")

    op.execute(r"""
drop trigger if exists limit_rows_per_owner on public.addresses;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION public.nearby_vendors(lat double precision, lng double precision, radius_km double precision DEFAULT 10, max_results integer DEFAULT 20)
 RETURNS TABLE(id uuid, shop_name text, description text, logo_url text, address_line text, city text, latitude double precision, longitude double precision, rating numeric, review_count integer, delivery_fee numeric, distance_km double precision)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
    declare
      center extensions.cube;
      chord double precision;
    begin
      if lat is null or lng is null or lat not between -90 and 90
         or lng not between -180 and 180 then
        raise exception 'lat must be within ±90 and lng within ±180'
          using errcode = '22023';
      end if;
      if radius_km is null or radius_km <= 0 or radius_km > 500 then
        raise exception 'radius_km must be more than 0 and at most 500'
          using errcode = '22023';
      end if;
      if max_results is null or max_results not between 1 and 100 then
        raise exception 'max_results must be between 1 and 100'
          using errcode = '22023';
      end if;
      center := private.earth_point(lat, lng);
      chord := 2 * 6371.0088 * pg_catalog.sin(radius_km / (2 * 6371.0088));
      return query
        select v.id, v.shop_name, v.description, v.logo_url, v.address_line, v.city,
               v.latitude, v.longitude, v.rating, v.review_count, v.delivery_fee::numeric,
               -- great-circle distance from the chord between the two points
               2 * 6371.0088 * pg_catalog.asin(least(1.0::double precision,
                 (private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center)
                 / (2 * 6371.0088))) as distance_km
          from public.vendors v
         where v.is_verified and v.is_active and v.latitude is not null
           and private.earth_point(v.latitude, v.longitude)
               operator(extensions.<@) extensions.cube_enlarge(center, chord, 3)
           and (private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center)
               <= chord
         order by private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center
         limit max_results;
    end
    $function$;

comment on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) is 'Verified vendors within radius_km of (lat, lng), nearest first, with distance_km.';
revoke all on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) from public, anon, authenticated, service_role;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to anon;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to authenticated;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION public.create_order(vendor_id uuid, items jsonb, address_id uuid DEFAULT NULL::uuid, notes text DEFAULT NULL::text, idempotency_key uuid DEFAULT NULL::uuid)
 RETURNS orders
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
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
    $function$;

comment on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) is 'Place an order with its items in one transaction; returns the priced order. A replay with the same idempotency_key returns the same order.';
revoke all on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) from public, anon, authenticated, service_role;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) to authenticated;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) to service_role;
""")

    op.execute(r"""
drop function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer);
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.price_order_item()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      target uuid := case tg_op when 'DELETE' then old.order_id else new.order_id end;
      ord record;
    begin
      if tg_op = 'UPDATE' and new.product_id is null and old.product_id is not null
         and new.quantity = old.quantity and new.order_id = old.order_id then
        -- The product was deleted (ON DELETE SET NULL): the item keeps the name
        -- and price it was sold with, whatever the order's status.
        new.unit_price := old.unit_price;
        new.product_name := old.product_name;
        return new;
      end if;
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
    $function$;

revoke all on function private.price_order_item() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.prepare_new_order()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
      -- Priced from the products, never from the caller. create_order names
      -- its items first (zora.new_order_items), so the order is inserted with
      -- the subtotal its items will have and their triggers change nothing;
      -- any other insert starts at 0 and its items set it.
      new.subtotal := coalesce((
        select sum(p.price * coalesce(i.quantity, 1))
          from pg_catalog.jsonb_to_recordset(
                 nullif(pg_catalog.current_setting('zora.new_order_items', true), '')::jsonb
               ) as i (product_id uuid, quantity integer)
          join public.products p on p.id = i.product_id
         where p.vendor_id = new.vendor_id and p.is_active
      ), 0);
      new.delivery_fee := shop.delivery_fee;
      new.currency := shop.currency;
      return new;
    end
    $function$;

revoke all on function private.prepare_new_order() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.order_items_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
    $function$;

revoke all on function private.order_items_changed() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
drop function private.may_see_order(order_id uuid);
""")

    op.execute(r"""
drop function private.max_order_items();
""")

    op.execute(r"""
drop function private.limit_rows_per_owner();
""")

    op.execute(r"""
drop function private.keep_delivery_address();
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.check_review()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      ord record;
    begin
      select o.user_id, o.vendor_id, o.status into ord
        from public.orders o where o.id = new.order_id;
      if not found then
        return new;  -- the foreign key reports the missing order
      end if;
      if ord.user_id <> new.user_id or ord.status <> 'delivered' then
        raise exception 'a review needs a delivered order of its author'
          using errcode = 'ZA006',
                detail = pg_catalog.format('order %s is %s', new.order_id, ord.status);
      end if;
      if new.product_id is not null and not exists (
        select from public.order_items i
        where i.order_id = new.order_id and i.product_id = new.product_id
      ) then
        raise exception 'product % is not part of order %', new.product_id, new.order_id
          using errcode = 'ZA006';
      end if;
      new.vendor_id := ord.vendor_id;
      return new;
    end
    $function$;

revoke all on function private.check_review() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
drop function private.address_snapshot(address_id uuid, user_id uuid);
""")
