"""orders inserted with their final subtotal; cheaper per-row policy checks

From sql/ (zora-db revision --autogenerate):
* replace sql/functions/private.current_vendor_id.sql
* replace sql/functions/private.is_admin.sql
* replace sql/functions/private.prepare_new_order.sql
* replace sql/functions/public.create_order.sql
* replace sql/policies/public.messages.messages_select.sql
* replace sql/policies/public.order_items.order_items_select.sql
* replace sql/policies/public.products.products_select.sql
* replace sql/policies/public.profiles.profiles_select.sql

Revision ID: 0014
Revises: 0013

Found by `zora-db verify` and the realtime benchmark, playing the apps'
subscriptions with Supabase Realtime's rules:

* The vendor portal's "New Order Received!" toast reads `total` from the
  INSERT event, which carried the delivery fee alone: the order row was
  inserted with subtotal 0 and its items set it in a later UPDATE of the same
  transaction. create_order now names its items in a transaction-local
  setting before inserting the order; prepare_new_order prices them from the
  products (never from the caller), so the row is inserted with its final
  subtotal and the item triggers find nothing to change. Any other insert
  still starts at 0.
* Realtime re-checks every INSERT and UPDATE for every subscriber as a
  single-row `select exists (...)`. `x in (select ...)` policies built a hashed
  subplan over every matching row on each check (all verified shops for a
  product: 1.6 ms at 10 000 shops); they are correlated `exists` lookups now,
  an index probe each. An order item is visible exactly when its order is,
  and a message when its conversation is: their policies now say only that,
  and the order's (the conversation's) own policy decides, instead of
  repeating its conditions and running its helpers a second time. is_admin() and current_vendor_id() are plpgsql: as SQL
  functions their bodies were planned again in every statement (45 us per
  call, reached by every subscriber who does not own the row).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(r"""
CREATE OR REPLACE FUNCTION private.current_vendor_id()
 RETURNS uuid
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- plpgsql for a cached plan: see private.is_admin.
      return (select v.id from public.vendors v where v.user_id = (select auth.uid()));
    end
    $function$;

comment on function private.current_vendor_id() is 'The caller''s shop, or null. For policies, as (select private.current_vendor_id()).';
revoke all on function private.current_vendor_id() from public, anon, authenticated, service_role;
grant execute on function private.current_vendor_id() to anon;
grant execute on function private.current_vendor_id() to authenticated;
grant execute on function private.current_vendor_id() to service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.is_admin()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- plpgsql, not sql: Realtime re-checks a row for each subscriber in a new
      -- statement, and a SQL function's body is planned again on every call
      -- (45 us); plpgsql keeps its plan for the session (6 us).
      return exists (
        select from public.profiles p where p.id = (select auth.uid()) and p.role = 'admin'
      );
    end
    $function$;

comment on function private.is_admin() is 'Whether the caller is an admin. For policies, as (select private.is_admin()).';
revoke all on function private.is_admin() from public, anon, authenticated, service_role;
grant execute on function private.is_admin() to anon;
grant execute on function private.is_admin() to authenticated;
grant execute on function private.is_admin() to service_role;
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
CREATE OR REPLACE FUNCTION public.create_order(vendor_id uuid, items jsonb, address_id uuid DEFAULT NULL::uuid, notes text DEFAULT NULL::text)
 RETURNS orders
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    declare
      placed public.orders;
    begin
      if items is null or pg_catalog.jsonb_typeof(items) <> 'array'
         or pg_catalog.jsonb_array_length(items) = 0 then
        raise exception 'items must be a non-empty array of {product_id, quantity}'
          using errcode = '22023';
      end if;
      -- Named before the order is inserted, so that prepare_new_order inserts it
      -- with its final subtotal: Realtime sends the INSERT as the row was
      -- inserted, and the vendor's "New Order Received!" shows that total.
      perform pg_catalog.set_config('zora.new_order_items', items::text, true);
      insert into public.orders (user_id, vendor_id, address_id, notes)
      values ((select auth.uid()), create_order.vendor_id, create_order.address_id,
              create_order.notes)
      returning * into placed;
      perform pg_catalog.set_config('zora.new_order_items', '', true);
      -- Prices, names and the subtotal come from the triggers, never from here.
      insert into public.order_items (order_id, product_id, quantity)
      select placed.id, (item ->> 'product_id')::uuid, coalesce((item ->> 'quantity')::int, 1)
        from pg_catalog.jsonb_array_elements(items) as item;
      select * into placed from public.orders o where o.id = placed.id;
      return placed;
    end
    $function$;

comment on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text) is 'Place an order with its items in one transaction; returns the priced order.';
revoke all on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text) from public, anon, authenticated, service_role;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text) to authenticated;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text) to service_role;
""")

    op.execute(r"""
drop policy if exists messages_select on public.messages;
create policy messages_select on public.messages
  as permissive
  for select
  to authenticated
  using ((EXISTS ( SELECT 1
   FROM conversations c
  WHERE (c.id = messages.conversation_id))));
""")

    op.execute(r"""
drop policy if exists order_items_select on public.order_items;
create policy order_items_select on public.order_items
  as permissive
  for select
  to authenticated
  using ((EXISTS ( SELECT 1
   FROM orders o
  WHERE (o.id = order_items.order_id))));
""")

    op.execute(r"""
drop policy if exists products_select on public.products;
create policy products_select on public.products
  as permissive
  for select
  to anon, authenticated
  using (((is_active AND (EXISTS ( SELECT 1
   FROM vendors v
  WHERE ((v.id = products.vendor_id) AND v.is_verified AND v.is_active)))) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
""")

    op.execute(r"""
drop policy if exists profiles_select on public.profiles;
create policy profiles_select on public.profiles
  as permissive
  for select
  to authenticated
  using (((id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin) OR (EXISTS ( SELECT 1
   FROM orders o
  WHERE ((o.user_id = profiles.id) AND (o.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))))));
""")


def downgrade() -> None:
    op.execute(r"""
drop policy if exists profiles_select on public.profiles;
create policy profiles_select on public.profiles
  as permissive
  for select
  to authenticated
  using (((id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_admin() AS is_admin) OR (id IN ( SELECT o.user_id
   FROM orders o
  WHERE (o.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id))))));
""")

    op.execute(r"""
drop policy if exists products_select on public.products;
create policy products_select on public.products
  as permissive
  for select
  to anon, authenticated
  using (((is_active AND (vendor_id IN ( SELECT v.id
   FROM vendors v
  WHERE (v.is_verified AND v.is_active)))) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
""")

    op.execute(r"""
drop policy if exists order_items_select on public.order_items;
create policy order_items_select on public.order_items
  as permissive
  for select
  to authenticated
  using (((order_id IN ( SELECT o.id
   FROM orders o
  WHERE (o.user_id = ( SELECT auth.uid() AS uid)))) OR (order_id IN ( SELECT o.id
   FROM orders o
  WHERE (o.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)))) OR ( SELECT private.is_admin() AS is_admin)));
""")

    op.execute(r"""
drop policy if exists messages_select on public.messages;
create policy messages_select on public.messages
  as permissive
  for select
  to authenticated
  using (((conversation_id IN ( SELECT c.id
   FROM conversations c
  WHERE ((c.customer_id = ( SELECT auth.uid() AS uid)) OR (c.vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id))))) OR ( SELECT private.is_admin() AS is_admin)));
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION public.create_order(vendor_id uuid, items jsonb, address_id uuid DEFAULT NULL::uuid, notes text DEFAULT NULL::text)
 RETURNS orders
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    declare
      placed public.orders;
    begin
      if items is null or pg_catalog.jsonb_typeof(items) <> 'array'
         or pg_catalog.jsonb_array_length(items) = 0 then
        raise exception 'items must be a non-empty array of {product_id, quantity}'
          using errcode = '22023';
      end if;
      insert into public.orders (user_id, vendor_id, address_id, notes)
      values ((select auth.uid()), create_order.vendor_id, create_order.address_id,
              create_order.notes)
      returning * into placed;
      -- Prices, names and the subtotal come from the triggers, never from here.
      insert into public.order_items (order_id, product_id, quantity)
      select placed.id, (item ->> 'product_id')::uuid, coalesce((item ->> 'quantity')::int, 1)
        from pg_catalog.jsonb_array_elements(items) as item;
      select * into placed from public.orders o where o.id = placed.id;
      return placed;
    end
    $function$;

comment on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text) is 'Place an order with its items in one transaction; returns the priced order.';
revoke all on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text) from public, anon, authenticated, service_role;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text) to authenticated;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text) to service_role;
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
      new.subtotal := 0;  -- the items set it
      new.delivery_fee := shop.delivery_fee;
      new.currency := shop.currency;
      return new;
    end
    $function$;

revoke all on function private.prepare_new_order() from public, anon, authenticated, service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.is_admin()
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
      select exists (
        select from public.profiles p where p.id = (select auth.uid()) and p.role = 'admin'
      )
    $function$;

comment on function private.is_admin() is 'Whether the caller is an admin. For policies, as (select private.is_admin()).';
revoke all on function private.is_admin() from public, anon, authenticated, service_role;
grant execute on function private.is_admin() to anon;
grant execute on function private.is_admin() to authenticated;
grant execute on function private.is_admin() to service_role;
""")

    op.execute(r"""
CREATE OR REPLACE FUNCTION private.current_vendor_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
      select v.id from public.vendors v where v.user_id = (select auth.uid())
    $function$;

comment on function private.current_vendor_id() is 'The caller''s shop, or null. For policies, as (select private.current_vendor_id()).';
revoke all on function private.current_vendor_id() from public, anon, authenticated, service_role;
grant execute on function private.current_vendor_id() to anon;
grant execute on function private.current_vendor_id() to authenticated;
grant execute on function private.current_vendor_id() to service_role;
""")
