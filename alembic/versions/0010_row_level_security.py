"""row level security: a policy for every table, grants only where policies need them

Revision ID: 0010
Revises: 0009

Who may do what (the access matrix in zora_db/verify/matrix.py states it as
data and `zora-db verify` proves it):
* anyone (anon included) reads active categories, verified and active vendors,
  their active products, and reviews;
* a customer reads and changes what is theirs: profile (never its role),
  addresses, cart, favourites, device tokens, notifications (mark read only),
  orders (place; cancel or edit while pending; never money or other statuses),
  order items while the order is pending, reviews of their delivered orders,
  conversations they started and their messages;
* a vendor manages their shop and its products (never its verification),
  reads the orders placed with them, their items, history and payments and
  the buyers' profiles and delivery addresses those orders need, moves their
  orders' status (only the status) and replies in their conversations;
* an admin (profiles.role) reads and manages everything, system_config
  included, which nobody else can read. service_role bypasses RLS.

One permissive policy per table, action and role (several would all be
evaluated for every row), `(select ...)` around every function call so it is
evaluated once per statement, never per row, and every filtered column
indexed. Supabase's default privileges gave anon and authenticated ALL on
every table: that is revoked and granted back per column where a policy
cannot express the rule (money, ratings, timestamps, ids). What a policy
cannot see - the old value of a column - is a trigger: only an admin changes
a role, a shop's verification or owner, and a vendor moves only the status of
an order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "profiles",
    "vendors",
    "categories",
    "products",
    "addresses",
    "cart_items",
    "favorites",
    "orders",
    "order_items",
    "order_status_history",
    "payments",
    "reviews",
    "notifications",
    "conversations",
    "messages",
    "device_tokens",
    "system_config",
)

# Reused inside policies below; each is evaluated once per statement.
UID = "(select auth.uid())"
ADMIN = "(select private.is_admin())"
SHOP = "(select private.current_vendor_id())"
MY_ORDERS = f"(select o.id from public.orders o where o.user_id = {UID})"
SHOP_ORDERS = f"(select o.id from public.orders o where o.vendor_id = {SHOP})"
MY_PENDING_ORDERS = (
    f"(select o.id from public.orders o where o.user_id = {UID} and o.status = 'pending')"
)
MY_ADDRESSES = f"(select a.id from public.addresses a where a.user_id = {UID})"
MY_CONVERSATIONS = (
    f"(select c.id from public.conversations c where c.customer_id = {UID} or c.vendor_id = {SHOP})"
)
OPEN_SHOPS = "(select v.id from public.vendors v where v.is_verified and v.is_active)"
# What a shop's owner (or an admin) writes; ratings and timestamps are the database's.
SHOP_COLUMNS = (
    "user_id, shop_name, description, logo_url, banner_url, phone, email, address_line, "
    "city, postcode, latitude, longitude, is_verified, is_active, delivery_fee, currency"
)


def upgrade() -> None:
    op.execute(f"""
    -- ------------------------------------------------------------ column guards

    create function private.admin_only_columns() returns trigger
      language plpgsql
      set search_path = ''
    as $$
    declare
      col text;
    begin
      -- Only requests (anon, authenticated) are guarded: migrations, the
      -- service role and SECURITY DEFINER triggers run as other roles.
      if current_user not in ('anon', 'authenticated') or (select private.is_admin()) then
        return new;
      end if;
      foreach col in array tg_argv loop
        if pg_catalog.to_jsonb(new) -> col is distinct from pg_catalog.to_jsonb(old) -> col then
          raise exception 'only an admin may change %.%', tg_table_name, col
            using errcode = '42501';
        end if;
      end loop;
      return new;
    end
    $$;
    comment on function private.admin_only_columns() is
      'Trigger: refuse a request that changes one of the named columns unless an admin sends it.';

    create trigger admin_only_columns
      before update of role on public.profiles
      for each row execute function private.admin_only_columns('role');
    create trigger admin_only_columns
      before update of is_verified, user_id on public.vendors
      for each row execute function private.admin_only_columns('is_verified', 'user_id');

    create function private.vendor_moves_status_only() returns trigger
      language plpgsql
      set search_path = ''
    as $$
    begin
      if current_user in ('anon', 'authenticated')
         and new.user_id is distinct from (select auth.uid())
         and not (select private.is_admin())
         and (new.address_id, new.notes) is distinct from (old.address_id, old.notes) then
        raise exception 'a vendor changes only the status of an order'
          using errcode = '42501';
      end if;
      return new;
    end
    $$;

    create trigger vendor_moves_status_only
      before update of address_id, notes on public.orders
      for each row execute function private.vendor_moves_status_only();

    -- Addresses are read through a definer function: orders' policies read
    -- addresses, so an addresses policy reading orders would recurse.
    create function private.shop_delivery_addresses() returns setof uuid
      language sql stable
      security definer
      set search_path = ''
    as $$
      select o.address_id from public.orders o
       where o.vendor_id = (select private.current_vendor_id()) and o.address_id is not null
    $$;
    comment on function private.shop_delivery_addresses() is
      'The delivery addresses of the caller''s shop''s orders. For policies.';

    revoke all on function private.admin_only_columns(), private.vendor_moves_status_only(),
      private.shop_delivery_addresses()
      from public;
    grant execute on function private.shop_delivery_addresses() to authenticated;

    -- ------------------------------------------------------------ grants

    revoke all on all tables in schema public from anon, authenticated;
    -- Alembic's bookkeeping lives in public too: no client grant, no policy.
    alter table if exists public.alembic_version enable row level security;
    revoke all on all sequences in schema public from anon, authenticated;

    grant select on public.categories, public.vendors, public.products, public.reviews
      to anon;

    grant select on {", ".join(f"public.{t}" for t in TABLES)} to authenticated;

    grant update (full_name, avatar_url, phone, role) on public.profiles to authenticated;
    grant insert ({SHOP_COLUMNS}), update ({SHOP_COLUMNS}), delete
      on public.vendors to authenticated;
    grant insert, update, delete on public.categories to authenticated;
    grant insert (
      vendor_id, category_id, name, description, price, compare_at_price, currency,
      stock_quantity, images, is_active
    ), update (
      category_id, name, description, price, compare_at_price, currency, stock_quantity,
      images, is_active
    ), delete on public.products to authenticated;
    grant insert, update, delete on public.addresses to authenticated;
    grant insert (user_id, product_id, vendor_id, quantity),
      update (user_id, product_id, vendor_id, quantity), delete
      on public.cart_items to authenticated;
    grant insert (user_id, product_id), delete on public.favorites to authenticated;
    -- subtotal, delivery_fee and currency are overwritten by prepare_new_order:
    -- granted so an app may send what it displayed, never trusted.
    grant insert (user_id, vendor_id, address_id, status, notes, subtotal, delivery_fee, currency),
      update (status, address_id, notes)
      on public.orders to authenticated;
    grant insert (order_id, product_id, product_name, quantity, unit_price),
      update (product_id, quantity), delete
      on public.order_items to authenticated;
    grant insert (order_id, user_id, amount, currency, status, provider, provider_reference,
                  failure_reason),
      update (status, failure_reason)
      on public.payments to authenticated;
    grant insert (order_id, user_id, vendor_id, product_id, rating, comment),
      update (rating, comment), delete
      on public.reviews to authenticated;
    grant insert (user_id, type, title, description, action_url, data),
      update (is_read), delete
      on public.notifications to authenticated;
    grant insert (customer_id, vendor_id, order_id), delete
      on public.conversations to authenticated;
    grant insert (conversation_id, sender_id, body), update (is_read), delete
      on public.messages to authenticated;
    grant insert (user_id, token, platform, last_seen_at),
      update (token, platform, last_seen_at), delete
      on public.device_tokens to authenticated;
    grant insert, update, delete on public.system_config to authenticated;

    -- ------------------------------------------------------------ row level security

    {"".join(f"alter table public.{t} enable row level security;{chr(10)}    " for t in TABLES)}

    -- people and shops
    create policy profiles_select on public.profiles for select to authenticated
      using (id = {UID} or {ADMIN}
             or id in (select o.user_id from public.orders o where o.vendor_id = {SHOP}));
    create policy profiles_update on public.profiles for update to authenticated
      using (id = {UID} or {ADMIN}) with check (id = {UID} or {ADMIN});

    create policy vendors_select on public.vendors for select to anon, authenticated
      using (is_verified and is_active or user_id = {UID} or {ADMIN});
    create policy vendors_insert on public.vendors for insert to authenticated
      with check (
        user_id = {UID} and not is_verified
          and (select p.role from public.profiles p where p.id = {UID}) = 'vendor'
        or {ADMIN});
    create policy vendors_update on public.vendors for update to authenticated
      using (user_id = {UID} or {ADMIN}) with check (user_id = {UID} or {ADMIN});
    create policy vendors_delete on public.vendors for delete to authenticated
      using ({ADMIN});

    create policy categories_select on public.categories for select to anon, authenticated
      using (is_active or {ADMIN});
    create policy categories_insert on public.categories for insert to authenticated
      with check ({ADMIN});
    create policy categories_update on public.categories for update to authenticated
      using ({ADMIN}) with check ({ADMIN});
    create policy categories_delete on public.categories for delete to authenticated
      using ({ADMIN});

    create policy products_select on public.products for select to anon, authenticated
      using (is_active and vendor_id in {OPEN_SHOPS} or vendor_id = {SHOP} or {ADMIN});
    create policy products_insert on public.products for insert to authenticated
      with check (vendor_id = {SHOP} or {ADMIN});
    create policy products_update on public.products for update to authenticated
      using (vendor_id = {SHOP} or {ADMIN}) with check (vendor_id = {SHOP} or {ADMIN});
    create policy products_delete on public.products for delete to authenticated
      using (vendor_id = {SHOP} or {ADMIN});

    -- what a customer owns
    create policy addresses_select on public.addresses for select to authenticated
      using (user_id = {UID} or {ADMIN} or id in (select private.shop_delivery_addresses()));
    create policy addresses_insert on public.addresses for insert to authenticated
      with check (user_id = {UID} or {ADMIN});
    create policy addresses_update on public.addresses for update to authenticated
      using (user_id = {UID} or {ADMIN}) with check (user_id = {UID} or {ADMIN});
    create policy addresses_delete on public.addresses for delete to authenticated
      using (user_id = {UID} or {ADMIN});

    create policy cart_items_owner on public.cart_items for all to authenticated
      using (user_id = {UID} or {ADMIN}) with check (user_id = {UID} or {ADMIN});
    create policy favorites_owner on public.favorites for all to authenticated
      using (user_id = {UID} or {ADMIN}) with check (user_id = {UID} or {ADMIN});
    create policy device_tokens_owner on public.device_tokens for all to authenticated
      using (user_id = {UID} or {ADMIN}) with check (user_id = {UID} or {ADMIN});

    -- orders and money
    create policy orders_select on public.orders for select to authenticated
      using (user_id = {UID} or vendor_id = {SHOP} or {ADMIN});
    create policy orders_insert on public.orders for insert to authenticated
      with check (
        user_id = {UID} and status = 'pending'
          and (address_id is null or address_id in {MY_ADDRESSES})
        or {ADMIN});
    create policy orders_update on public.orders for update to authenticated
      using (user_id = {UID} and status = 'pending' or vendor_id = {SHOP} or {ADMIN})
      with check (
        user_id = {UID} and status in ('pending', 'cancelled')
          and (address_id is null or address_id in {MY_ADDRESSES})
        or vendor_id = {SHOP} or {ADMIN});

    create policy order_items_select on public.order_items for select to authenticated
      using (order_id in {MY_ORDERS} or order_id in {SHOP_ORDERS} or {ADMIN});
    create policy order_items_insert on public.order_items for insert to authenticated
      with check (order_id in {MY_PENDING_ORDERS} or {ADMIN});
    create policy order_items_update on public.order_items for update to authenticated
      using (order_id in {MY_PENDING_ORDERS} or {ADMIN})
      with check (order_id in {MY_PENDING_ORDERS} or {ADMIN});
    create policy order_items_delete on public.order_items for delete to authenticated
      using (order_id in {MY_PENDING_ORDERS} or {ADMIN});

    create policy order_status_history_select on public.order_status_history
      for select to authenticated
      using (order_id in {MY_ORDERS} or order_id in {SHOP_ORDERS} or {ADMIN});

    create policy payments_select on public.payments for select to authenticated
      using (user_id = {UID} or order_id in {SHOP_ORDERS} or {ADMIN});
    create policy payments_insert on public.payments for insert to authenticated
      with check ({ADMIN});
    create policy payments_update on public.payments for update to authenticated
      using ({ADMIN}) with check ({ADMIN});

    -- reviews, notifications, messages
    create policy reviews_select on public.reviews for select to anon, authenticated
      using (true);
    create policy reviews_insert on public.reviews for insert to authenticated
      with check (user_id = {UID});
    create policy reviews_update on public.reviews for update to authenticated
      using (user_id = {UID} or {ADMIN}) with check (user_id = {UID} or {ADMIN});
    create policy reviews_delete on public.reviews for delete to authenticated
      using (user_id = {UID} or {ADMIN});

    create policy notifications_select on public.notifications for select to authenticated
      using (user_id = {UID} or {ADMIN});
    create policy notifications_insert on public.notifications for insert to authenticated
      with check ({ADMIN});
    create policy notifications_update on public.notifications for update to authenticated
      using (user_id = {UID} or {ADMIN}) with check (user_id = {UID} or {ADMIN});
    create policy notifications_delete on public.notifications for delete to authenticated
      using ({ADMIN});

    create policy conversations_select on public.conversations for select to authenticated
      using (customer_id = {UID} or vendor_id = {SHOP} or {ADMIN});
    create policy conversations_insert on public.conversations for insert to authenticated
      with check (
        customer_id = {UID} and (order_id is null or order_id in {MY_ORDERS})
        or {ADMIN});
    create policy conversations_delete on public.conversations for delete to authenticated
      using ({ADMIN});

    create policy messages_select on public.messages for select to authenticated
      using (conversation_id in {MY_CONVERSATIONS} or {ADMIN});
    create policy messages_insert on public.messages for insert to authenticated
      with check (sender_id = {UID} and conversation_id in {MY_CONVERSATIONS});
    create policy messages_update on public.messages for update to authenticated
      using (sender_id <> {UID} and conversation_id in {MY_CONVERSATIONS} or {ADMIN})
      with check (sender_id <> {UID} and conversation_id in {MY_CONVERSATIONS} or {ADMIN});
    create policy messages_delete on public.messages for delete to authenticated
      using ({ADMIN});

    create policy system_config_admin on public.system_config for all to authenticated
      using ({ADMIN}) with check ({ADMIN});
    """)


def downgrade() -> None:
    tables = ", ".join(f"public.{t}" for t in TABLES)
    op.execute(f"""
    do $$
    declare
      p record;
    begin
      for p in select policyname, tablename from pg_catalog.pg_policies
               where schemaname = 'public' loop
        execute pg_catalog.format('drop policy %I on public.%I', p.policyname, p.tablename);
      end loop;
    end
    $$;
    {"".join(f"alter table public.{t} disable row level security;{chr(10)}    " for t in TABLES)}
    alter table if exists public.alembic_version disable row level security;
    drop trigger vendor_moves_status_only on public.orders;
    drop trigger admin_only_columns on public.vendors;
    drop trigger admin_only_columns on public.profiles;
    drop function private.vendor_moves_status_only(), private.admin_only_columns(),
      private.shop_delivery_addresses();
    revoke all on {tables} from anon, authenticated;
    -- back to Supabase's default privileges, as 0009 left them
    grant all on {tables} to anon, authenticated;
    grant all on all sequences in schema public to anon, authenticated;
    """)
