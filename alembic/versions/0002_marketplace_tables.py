"""marketplace tables, enums, constraints and indexes

Revision ID: 0002
Revises: 0001

The 17 tables the three apps use. Column names the apps' code reads are a
contract (notifications.user_id/type/title/description/action_url/is_read,
cart_items.user_id/product_id/vendor_id/quantity, orders.user_id/vendor_id/
status/total, vendors.user_id/shop_name/logo_url/is_verified, ...).

ON DELETE, deliberately:
* deleting an auth user removes their profile and what only they own (cart,
  addresses, favourites, tokens, notifications, their shop and its products);
* orders, their items and payments are financial records: a customer or a
  vendor with orders cannot be deleted (RESTRICT) until the orders are
  anonymised or archived; an order item keeps its product name and price
  when the product is deleted (SET NULL);
* a category removed leaves its products uncategorised (SET NULL).

Money is numeric(12, 2) with CHECK (>= 0) and an ISO 4217 currency.
Ratings are kept as a running sum and count (see 0005), so rating is a
generated column and a review write never rescans the reviews.
Every foreign key and every column the apps filter or sort by is indexed.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    create extension if not exists cube with schema extensions;

    create type public.user_role as enum ('customer', 'vendor', 'admin');
    create type public.order_status as enum (
      'pending', 'confirmed', 'preparing', 'ready', 'out_for_delivery',
      'delivered', 'cancelled', 'refunded'
    );
    create type public.payment_status as enum (
      'pending', 'authorized', 'succeeded', 'failed', 'refunded', 'cancelled'
    );
    create type public.notification_type as enum (
      'order', 'order_status', 'message', 'review', 'payment', 'promotion', 'system'
    );
    create type public.device_platform as enum ('ios', 'android', 'web');

    create domain public.currency_code as char(3)
      check (value ~ '^[A-Z]{3}$');
    create domain public.money_amount as numeric(12, 2)
      check (value >= 0);

    -- ------------------------------------------------------------ people and shops

    create table public.profiles (
      id uuid primary key references auth.users (id) on delete cascade,
      email text,
      full_name text,
      avatar_url text,
      phone text,
      role public.user_role not null default 'customer',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index profiles_role_idx on public.profiles (role);
    create index profiles_created_at_idx on public.profiles (created_at desc);

    create table public.vendors (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null unique references public.profiles (id) on delete cascade,
      shop_name text not null check (length(btrim(shop_name)) between 1 and 120),
      description text,
      logo_url text,
      banner_url text,
      phone text,
      email text,
      address_line text,
      city text,
      postcode text,
      latitude double precision check (latitude between -90 and 90),
      longitude double precision check (longitude between -180 and 180),
      is_verified boolean not null default false,
      is_active boolean not null default true,
      delivery_fee public.money_amount not null default 0,
      currency public.currency_code not null default 'GBP',
      review_count integer not null default 0 check (review_count >= 0),
      rating_sum bigint not null default 0 check (rating_sum >= 0),
      rating numeric(3, 2) generated always as (
        case when review_count > 0 then round(rating_sum::numeric / review_count, 2) end
      ) stored,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((latitude is null) = (longitude is null))
    );
    create index vendors_is_verified_idx on public.vendors (is_verified, created_at desc);
    create index vendors_city_idx on public.vendors (city);
    create index vendors_rating_idx on public.vendors (rating desc nulls last);

    create table public.categories (
      id uuid primary key default gen_random_uuid(),
      parent_id uuid references public.categories (id) on delete set null,
      name text not null,
      slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
      description text,
      image_url text,
      sort_order integer not null default 0,
      is_active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index categories_parent_id_idx on public.categories (parent_id);
    create index categories_sort_idx on public.categories (sort_order, name);

    create table public.products (
      id uuid primary key default gen_random_uuid(),
      vendor_id uuid not null references public.vendors (id) on delete cascade,
      category_id uuid references public.categories (id) on delete set null,
      name text not null check (length(btrim(name)) between 1 and 200),
      description text,
      price public.money_amount not null,
      compare_at_price public.money_amount,
      currency public.currency_code not null default 'GBP',
      stock_quantity integer not null default 0 check (stock_quantity >= 0),
      images text[] not null default '{}',
      is_active boolean not null default true,
      review_count integer not null default 0 check (review_count >= 0),
      rating_sum bigint not null default 0 check (rating_sum >= 0),
      rating numeric(3, 2) generated always as (
        case when review_count > 0 then round(rating_sum::numeric / review_count, 2) end
      ) stored,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index products_vendor_id_idx on public.products (vendor_id, created_at desc);
    create index products_category_id_idx on public.products (category_id);
    create index products_active_created_idx on public.products (created_at desc)
      where is_active;
    create index products_price_idx on public.products (price);

    -- ------------------------------------------------------------ shopping

    create table public.addresses (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references public.profiles (id) on delete cascade,
      label text,
      recipient_name text,
      phone text,
      line1 text not null,
      line2 text,
      city text not null,
      postcode text not null,
      country char(2) not null default 'GB' check (country ~ '^[A-Z]{2}$'),
      latitude double precision check (latitude between -90 and 90),
      longitude double precision check (longitude between -180 and 180),
      is_default boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index addresses_user_id_idx on public.addresses (user_id);
    create unique index addresses_one_default_per_user on public.addresses (user_id)
      where is_default;

    create table public.cart_items (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references public.profiles (id) on delete cascade,
      product_id uuid not null references public.products (id) on delete cascade,
      vendor_id uuid not null references public.vendors (id) on delete cascade,
      quantity integer not null default 1 check (quantity between 1 and 999),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (user_id, product_id)
    );
    create index cart_items_user_created_idx on public.cart_items (user_id, created_at desc);
    create index cart_items_product_id_idx on public.cart_items (product_id);
    create index cart_items_vendor_id_idx on public.cart_items (vendor_id);

    create table public.favorites (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references public.profiles (id) on delete cascade,
      product_id uuid not null references public.products (id) on delete cascade,
      created_at timestamptz not null default now(),
      unique (user_id, product_id)
    );
    create index favorites_product_id_idx on public.favorites (product_id);
    create index favorites_user_created_idx on public.favorites (user_id, created_at desc);

    -- ------------------------------------------------------------ orders and money

    create table public.orders (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references public.profiles (id) on delete restrict,
      vendor_id uuid not null references public.vendors (id) on delete restrict,
      address_id uuid references public.addresses (id) on delete set null,
      status public.order_status not null default 'pending',
      subtotal public.money_amount not null default 0,
      delivery_fee public.money_amount not null default 0,
      total numeric(12, 2) generated always as (subtotal + delivery_fee) stored,
      currency public.currency_code not null default 'GBP',
      notes text check (length(notes) <= 2000),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    ) with (fillfactor = 85);  -- room for HOT updates: items set the subtotal after insert
    create index orders_user_created_idx on public.orders (user_id, created_at desc);
    create index orders_vendor_created_idx on public.orders (vendor_id, created_at desc);
    create index orders_vendor_status_idx on public.orders (vendor_id, status);
    create index orders_status_idx on public.orders (status, created_at desc);
    create index orders_address_id_idx on public.orders (address_id);

    create table public.order_items (
      id uuid primary key default gen_random_uuid(),
      order_id uuid not null references public.orders (id) on delete cascade,
      product_id uuid references public.products (id) on delete set null,
      product_name text not null default '',
      quantity integer not null check (quantity between 1 and 999),
      unit_price public.money_amount not null default 0,
      line_total numeric(12, 2) generated always as (quantity * unit_price) stored,
      created_at timestamptz not null default now()
    );
    create index order_items_order_id_idx on public.order_items (order_id);
    create index order_items_product_id_idx on public.order_items (product_id);

    create table public.order_status_history (
      id bigint generated always as identity primary key,
      order_id uuid not null references public.orders (id) on delete cascade,
      from_status public.order_status,
      to_status public.order_status not null,
      changed_by uuid references public.profiles (id) on delete set null,
      changed_at timestamptz not null default now()
    );
    create index order_status_history_order_idx
      on public.order_status_history (order_id, changed_at);
    create index order_status_history_changed_by_idx
      on public.order_status_history (changed_by);

    create table public.payments (
      id uuid primary key default gen_random_uuid(),
      order_id uuid not null references public.orders (id) on delete restrict,
      user_id uuid not null references public.profiles (id) on delete restrict,
      amount public.money_amount not null,
      currency public.currency_code not null default 'GBP',
      status public.payment_status not null default 'pending',
      provider text not null,
      provider_reference text,
      failure_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (provider, provider_reference)
    );
    create index payments_order_id_idx on public.payments (order_id);
    create index payments_user_created_idx on public.payments (user_id, created_at desc);
    create index payments_status_idx on public.payments (status);

    create table public.reviews (
      id uuid primary key default gen_random_uuid(),
      order_id uuid not null unique references public.orders (id) on delete cascade,
      user_id uuid not null references public.profiles (id) on delete cascade,
      vendor_id uuid not null references public.vendors (id) on delete cascade,
      product_id uuid references public.products (id) on delete set null,
      rating smallint not null check (rating between 1 and 5),
      comment text check (length(comment) <= 5000),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index reviews_vendor_created_idx on public.reviews (vendor_id, created_at desc);
    create index reviews_product_created_idx on public.reviews (product_id, created_at desc);
    create index reviews_user_id_idx on public.reviews (user_id);

    -- ------------------------------------------------------------ messages and notifications

    create table public.notifications (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references public.profiles (id) on delete cascade,
      type public.notification_type not null,
      title text not null,
      description text,
      action_url text,
      data jsonb not null default '{}',
      is_read boolean not null default false,
      created_at timestamptz not null default now()
    );
    create index notifications_user_created_idx
      on public.notifications (user_id, created_at desc);
    create index notifications_user_unread_idx on public.notifications (user_id)
      where not is_read;

    create table public.conversations (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references public.profiles (id) on delete cascade,
      vendor_id uuid not null references public.vendors (id) on delete cascade,
      order_id uuid references public.orders (id) on delete set null,
      last_message_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index conversations_one_per_order
      on public.conversations (customer_id, vendor_id, order_id) nulls not distinct;
    create index conversations_customer_last_idx
      on public.conversations (customer_id, last_message_at desc nulls last);
    create index conversations_vendor_last_idx
      on public.conversations (vendor_id, last_message_at desc nulls last);
    create index conversations_order_id_idx on public.conversations (order_id);

    create table public.messages (
      id uuid primary key default gen_random_uuid(),
      conversation_id uuid not null references public.conversations (id) on delete cascade,
      sender_id uuid not null references public.profiles (id) on delete cascade,
      body text not null check (length(btrim(body)) between 1 and 4000),
      is_read boolean not null default false,
      created_at timestamptz not null default now()
    );
    create index messages_conversation_created_idx
      on public.messages (conversation_id, created_at);
    create index messages_sender_id_idx on public.messages (sender_id);

    create table public.device_tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references public.profiles (id) on delete cascade,
      token text not null unique,
      platform public.device_platform not null,
      last_seen_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index device_tokens_user_id_idx on public.device_tokens (user_id);

    create table public.system_config (
      key text primary key check (key ~ '^[a-z][a-z0-9_.]*$'),
      value jsonb not null,
      description text,
      updated_by uuid references public.profiles (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index system_config_updated_by_idx on public.system_config (updated_by);
    """)


def downgrade() -> None:
    op.execute("""
    drop table public.system_config, public.device_tokens, public.messages,
      public.conversations, public.notifications, public.reviews, public.payments,
      public.order_status_history, public.order_items, public.orders, public.favorites,
      public.cart_items, public.addresses, public.products, public.categories,
      public.vendors, public.profiles;
    drop domain public.money_amount, public.currency_code;
    drop type public.device_platform, public.notification_type, public.payment_status,
      public.order_status, public.user_role;
    drop extension if exists cube;
    """)
