"""Volume for the benchmarks: thousands of customers, vendors, orders and reviews, fast.

Not the demo data (``zora_db.seed``): rows in bulk, made as fast as SQL can,
with realism only where a benchmark's plan depends on it (locations spread
over Great Britain, orders delivered so they may be reviewed).
"""

from __future__ import annotations

from typing import Any

import psycopg


def generate_customers(conn: psycopg.Connection, count: int) -> None:
    """``count`` customers (auth users with their profiles), emails customer-N@zora.test."""
    conn.execute(
        "insert into auth.users (id, email) select gen_random_uuid(), "
        "'customer-' || g || '@zora.test' from generate_series(1, %s) g",
        [count],
    )


def generate_vendors(conn: psycopg.Connection, count: int, *, prefix: str = "bulk") -> None:
    """``count`` verified vendors (with owners) spread over Great Britain."""
    conn.execute(
        """
        with users as (
          insert into auth.users (id, email)
          select gen_random_uuid(), format('%%s-%%s@zora.test', %(p)s::text, g)
          from generate_series(1, %(n)s) g
          returning id
        )
        insert into public.vendors (user_id, shop_name, city, latitude, longitude, is_verified)
        select id, 'Shop ' || left(id::text, 8), 'Somewhere',
               50.0 + random() * 8.5, -5.5 + random() * 7.3, true
        from users
        """,
        {"n": count, "p": prefix},
    )


def generate_orders(conn: psycopg.Connection, count: int) -> None:
    """``count`` delivered orders spread over every customer-N and every shop, triggers off.

    Volume, not behaviour: no order trigger runs (nor catch-up's log), so
    the rows carry version 0 and no history; what a benchmark measures
    happens after.
    """
    conn.execute("set session_replication_role = replica")
    conn.execute(
        """
        with c as (select array_agg(id order by id) ids from public.profiles
                   where email like 'customer-%%'),
             v as (select array_agg(id order by id) ids from public.vendors)
        insert into public.orders (user_id, vendor_id, status, subtotal, created_at)
        select c.ids[1 + g %% cardinality(c.ids)], v.ids[1 + g %% cardinality(v.ids)],
               'delivered', 10 + g %% 50, now() - g * interval '1 minute'
        from generate_series(1, %(orders)s) g, c, v
        """,
        {"orders": count},
    )
    conn.execute("set session_replication_role = origin")


def generate_delivered_orders(conn: psycopg.Connection, vendor_id: Any, count: int) -> None:
    """``count`` delivered orders of ``count`` new customers with one vendor.

    Orders are inserted through the triggers; the walk to 'delivered' is
    skipped (one statement, with the transition and notification triggers
    off for it): this is volume for benchmarks, not behaviour.
    """
    conn.execute(
        """
        with buyers as (
          insert into auth.users (id, email)
          select id, 'buyer-' || id || '@zora.test'
          from (select gen_random_uuid() as id from generate_series(1, %(n)s)) g
          returning id
        )
        insert into public.orders (user_id, vendor_id) select id, %(v)s from buyers
        """,
        {"n": count, "v": vendor_id},
    )
    conn.execute("alter table public.orders disable trigger check_order_transition")
    conn.execute("alter table public.orders disable trigger record_order_status_change")
    conn.execute(
        "update public.orders set status = 'delivered' where vendor_id = %s and status = 'pending'",
        [vendor_id],
    )
    conn.execute("alter table public.orders enable trigger check_order_transition")
    conn.execute("alter table public.orders enable trigger record_order_status_change")


def generate_reviews(conn: psycopg.Connection, vendor_id: Any, count: int) -> None:
    """Review up to ``count`` delivered, unreviewed orders of one vendor (triggers on)."""
    conn.execute(
        """
        insert into public.reviews (order_id, user_id, vendor_id, rating)
        select id, user_id, vendor_id, 1 + (random() * 4)::int from public.orders o
        where vendor_id = %s and status = 'delivered'
          and not exists (select from public.reviews r where r.order_id = o.id)
        limit %s
        """,
        [vendor_id, count],
    )
