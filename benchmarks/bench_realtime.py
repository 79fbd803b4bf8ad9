"""Realtime at scale: what each subscriber's RLS re-check costs, fan-out, commit to decision.

The demo data set plus 10 000 verified shops (10 products each), 10 000
customers, 1 000 000 orders (100 000 with an item) and 100 000
notifications. The seed's people stand in for each kind of subscriber:
anon, the row's owner (alice), another customer (bob), the shop's vendor
(Camden Bakery) and an admin.

* ``rls_check``: Supabase Realtime's per-subscriber check, as it runs it in
  the database (``set_config`` of ``role`` and ``request.jwt.claims``, then
  a prepared ``select exists (... where id = <key>)``), timed in a server-side
  loop, for every realtime table and subscriber kind; against the same loop
  as ``service_role``, which bypasses RLS. Targets: ≤ 3x for anon and
  customers, ≤ 5x for vendors and admins.
* ``fan_out``: one change decided by ``zora_db.realtime.Deliverer`` for 100,
  1 000 and 10 000 subscriptions of three shapes, every subscriber a
  different user. Target: 1 000 unfiltered products subscribers ≤ 100 ms.
* ``latency``: commit to decided delivery for 100 subscriptions over 60
  changes, reading a wal2json slot as Realtime does. Target p99 ≤ 50 ms.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _common import emit, seeded_database
from _volume import generate_customers, generate_vendors

from zora_db.acting import claims_for
from zora_db.catalog import introspect
from zora_db.realtime import ChangeStream, Deliverer, Subscription
from zora_db.realtime.changes import from_wal2json
from zora_db.seed import seed_id

SHOPS = 10_000
CUSTOMERS = 10_000
ORDERS = 1_000_000
ITEMS = 100_000
NOTIFICATIONS = 100_000
CHECKS = 2_000  # per table and subscriber, in one server-side loop
FAN_OUT = (100, 1_000, 10_000)
LATENCY_CHANGES = 60

ALICE, BOB = seed_id("user:alice"), seed_id("user:bob")
CAMDEN_USER, CAMDEN = seed_id("user:camden-bakery"), seed_id("vendor:camden-bakery")
ADMIN = seed_id("user:admin")
SUBSCRIBERS = {
    "anon": None,
    "owner": ALICE,
    "other customer": BOB,
    "vendor": CAMDEN_USER,
    "admin": ADMIN,
}
TARGETS = {"anon": 3.0, "owner": 3.0, "other customer": 3.0, "vendor": 5.0, "admin": 5.0}

# One of alice's rows at Camden Bakery in every realtime table.
ROWS = {
    "public.orders": "select id from public.orders where user_id = %(alice)s "
    "and vendor_id = %(camden)s order by created_at limit 1",
    "public.order_items": "select i.id from public.order_items i join public.orders o "
    "on o.id = i.order_id where o.user_id = %(alice)s and o.vendor_id = %(camden)s limit 1",
    "public.notifications": "select id from public.notifications where user_id = %(alice)s limit 1",
    "public.cart_items": "select id from public.cart_items where user_id = %(alice)s limit 1",
    "public.products": "select id from public.products where vendor_id = %(camden)s limit 1",
    "public.vendors": "select %(camden)s::uuid",
    "public.reviews": "select id from public.reviews where user_id = %(alice)s limit 1",
    "public.profiles": "select %(alice)s::uuid",
    "public.conversations": "select id from public.conversations where customer_id = %(alice)s "
    "limit 1",
    "public.messages": "select m.id from public.messages m join public.conversations c "
    "on c.id = m.conversation_id where c.customer_id = %(alice)s limit 1",
}

# Realtime's loop for one subscriber, repeated: switch to the subscriber, check, switch back.
CHECK_LOOP = """
create function pg_temp.check_cost(who text, claims text, n integer) returns float8
language plpgsql as $$
declare
  started timestamptz := clock_timestamp();
  seen boolean;
begin
  for i in 1 .. n loop
    perform pg_catalog.set_config('role', who, true),
            pg_catalog.set_config('request.jwt.claims', claims, true);
    execute 'execute zora_check' into seen;
    perform pg_catalog.set_config('role', 'none', true);
  end loop;
  return extract(epoch from clock_timestamp() - started) * 1e6 / n;
end $$
"""


def _load(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        generate_vendors(conn, SHOPS, prefix="shop")
        generate_customers(conn, CUSTOMERS)
        # Volume, not behaviour: the triggers are not what is measured.
        conn.execute("set session_replication_role = replica")
        conn.execute(
            """
            insert into public.products (vendor_id, name, price)
            select v.id, 'Product ' || g, 1 + g from public.vendors v, generate_series(1, 10) g
             where v.shop_name like 'Shop %%'
            """
        )
        conn.execute(
            """
            with c as (select array_agg(id order by id) ids from public.profiles
                       where email like 'customer-%%'),
                 v as (select array_agg(id order by id) ids from public.vendors
                       where shop_name like 'Shop %%')
            insert into public.orders (user_id, vendor_id, status, subtotal, created_at)
            select c.ids[1 + g %% %(customers)s], v.ids[1 + g %% %(shops)s], 'delivered',
                   10 + g %% 50, now() - g * interval '1 minute'
            from generate_series(1, %(orders)s) g, c, v
            """,
            {"customers": CUSTOMERS, "shops": SHOPS, "orders": ORDERS},
        )
        conn.execute(
            "insert into public.order_items (order_id, product_name, quantity, unit_price) "
            "select id, 'Bulk item', 1, subtotal from public.orders "
            "where user_id <> %s limit %s",
            [ALICE, ITEMS],
        )
        conn.execute(
            """
            with c as (select array_agg(id order by id) ids from public.profiles
                       where email like 'customer-%%')
            insert into public.notifications (user_id, type, title)
            select c.ids[1 + g %% %(customers)s], 'system', 'Notice ' || g
              from generate_series(1, %(n)s) g, c
            """,
            {"customers": CUSTOMERS, "n": NOTIFICATIONS},
        )
        conn.execute("set session_replication_role = origin")
        conn.execute("vacuum analyze")


def rls_checks(url: str) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    misses = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(CHECK_LOOP)
        conn.execute("prepare zora_check as select exists (select 1 from public.vendors)")
        _cost(conn, "service_role", ALICE)  # warm the session: caches, plans
        conn.execute("deallocate zora_check")
        for table, row_sql in ROWS.items():
            row = conn.execute(row_sql, {"alice": ALICE, "camden": CAMDEN}).fetchone()
            assert row, f"no row of {table} to check"
            conn.execute(
                f"prepare zora_check as select exists (select 1 from {table} "
                f"where id = '{row[0]}'::uuid)"
            )
            baseline = _cost(conn, "service_role", ALICE)
            per_kind = {"rls_off_us": round(baseline, 1)}
            for kind, uid in SUBSCRIBERS.items():
                role = "authenticated" if uid else "anon"
                allowed = conn.execute(
                    "select has_column_privilege(%s, %s, 'id', 'SELECT')", [role, table]
                ).fetchone()
                if not (allowed and allowed[0]):
                    per_kind[kind] = "not checked: Realtime sends this role Error 401"
                    continue
                cost = _cost(conn, role, uid)
                ratio = cost / baseline
                per_kind[kind] = {"us": round(cost, 1), "ratio": round(ratio, 2)}
                if ratio > TARGETS[kind]:
                    misses.append(f"{table} as {kind}: {ratio:.1f}x")
            figures[table] = per_kind
            conn.execute("deallocate zora_check")
    return {"tables": figures, "targets": TARGETS, "misses": misses}


def _cost(conn: psycopg.Connection[Any], role: str, uid: Any) -> float:
    """Median over three loops of CHECKS as ``uid``'s claims, in µs per check."""
    claims = json.dumps(claims_for(uid))
    runs = [
        conn.execute("select pg_temp.check_cost(%s, %s, %s)", [role, claims, CHECKS]).fetchone()
        for _ in range(3)
    ]
    return statistics.median(r[0] for r in runs if r)


def _subscribers(url: str, n: int) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select id::text from public.profiles where email like 'customer-%%' "
            "order by id limit %s",
            [n],
        ).fetchall()
    return [r[0] for r in rows]


def _change(conn: psycopg.Connection[Any], slot: str, statement: str, params: Any) -> Any:
    conn.execute(statement, params)
    rows = conn.execute(
        "select data from pg_logical_slot_get_changes(%s, null, null, 'include-pk', 'true', "
        "'include-timestamp', 'true', 'include-type-oids', 'true', 'format-version', '2')",
        [slot],
    ).fetchall()
    changes = [c for (d,) in rows if (c := from_wal2json(d))]
    return changes[-1]


def fan_out(url: str) -> dict[str, Any]:
    catalog = introspect(url)
    users = _subscribers(url, max(FAN_OUT))
    with psycopg.connect(url, autocommit=True) as writer:
        writer.execute("set synchronous_commit = on")
        writer.execute("select pg_create_logical_replication_slot('bench_fan_out', 'wal2json')")
        try:
            product = _change(
                writer,
                "bench_fan_out",
                "update public.products set stock_quantity = stock_quantity + 1 where id = "
                "(select id from public.products where vendor_id = %s limit 1)",
                [CAMDEN],
            )
            order = _change(
                writer,
                "bench_fan_out",
                "update public.orders set notes = 'ring twice' where id = "
                "(select id from public.orders where vendor_id = %s limit 1)",
                [CAMDEN],
            )
            notification = _change(
                writer,
                "bench_fan_out",
                "insert into public.notifications (user_id, type, title) "
                "values (%s, 'system', 'Hello')",
                [users[0]],
            )
        finally:
            writer.execute("select pg_drop_replication_slot('bench_fan_out')")
    shapes = {
        "products UPDATE, unfiltered": (
            product,
            lambda n: [Subscription("products", claims_for(u)) for u in users[:n]],
        ),
        "orders UPDATE, by vendor (one matching) + 5 admins": (
            order,
            lambda n: [
                Subscription(
                    "orders",
                    claims_for(CAMDEN_USER),
                    filter=f"vendor_id=eq.{CAMDEN}",
                ),
                *(Subscription("orders", claims_for(ADMIN)) for _ in range(5)),
                *(
                    Subscription("orders", claims_for(u), filter=f"vendor_id=eq.{u}")
                    for u in users[: n - 6]
                ),
            ],
        ),
        "notifications INSERT, by user": (
            notification,
            lambda n: [
                Subscription("notifications", claims_for(u), filter=f"user_id=eq.{u}")
                for u in users[:n]
            ],
        ),
    }
    results: dict[str, Any] = {}
    with psycopg.connect(url) as conn:
        deliverer = Deliverer(conn, catalog)
        for shape, (change, make) in shapes.items():
            results[shape] = {}
            for n in FAN_OUT:
                subs = make(n)
                deliverer.decide(change, subs)  # warm: privileges, prepared statements
                runs = []
                for _ in range(5):
                    started = time.perf_counter()
                    delivered = deliverer.decide(change, subs)
                    runs.append(time.perf_counter() - started)
                ms = statistics.median(runs) * 1000
                results[shape][n] = {
                    "ms_per_change": round(ms, 2),
                    "us_per_subscription": round(ms * 1000 / n, 1),
                    "delivered": len(delivered),
                }
    target = results["products UPDATE, unfiltered"][1000]["ms_per_change"]
    return {"shapes": results, "target_1000_unfiltered_products_ms": 100, "met": target <= 100}


def latency(url: str) -> dict[str, Any]:
    catalog = introspect(url)
    users = _subscribers(url, 100)
    subs = [
        Subscription("notifications", claims_for(u), filter=f"user_id=eq.{u}") for u in users[:50]
    ] + [Subscription("products", claims_for(u)) for u in users[50:]]
    waits = []
    with (
        ChangeStream(url) as stream,
        psycopg.connect(url) as conn,
        psycopg.connect(url, autocommit=True) as writer,
    ):
        writer.execute("set synchronous_commit = on")
        deliverer = Deliverer(conn, catalog)
        for i in range(LATENCY_CHANGES):
            if i % 2:
                writer.execute(
                    "insert into public.notifications (user_id, type, title) "
                    "values (%s, 'system', 'Hi')",
                    [users[i % 50]],
                )
            else:
                writer.execute(
                    "update public.products set stock_quantity = stock_quantity + 1 "
                    "where id = (select id from public.products where vendor_id = %s limit 1)",
                    [CAMDEN],
                )
            committed = time.perf_counter()
            decided = 0
            while not decided:
                for change in stream.read():
                    decided += len(deliverer.decide(change, subs)) or 1
            waits.append((time.perf_counter() - committed) * 1000)
    waits.sort()
    return {
        "changes": len(waits),
        "subscriptions": len(subs),
        "plugin": "wal2json",
        "p50_ms": round(statistics.median(waits), 2),
        "p99_ms": round(statistics.quantiles(waits, n=100, method="inclusive")[98], 2),
        "target_p99_ms": 50,
    }


def main() -> None:
    with seeded_database() as url:
        started = time.perf_counter()
        _load(url)
        load_s = time.perf_counter() - started
        emit(
            "realtime",
            {
                "scale": {
                    "shops": SHOPS,
                    "customers": CUSTOMERS,
                    "orders": ORDERS,
                    "notifications": NOTIFICATIONS,
                    "load_s": round(load_s, 1),
                },
                "rls_check": rls_checks(url),
                "fan_out": fan_out(url),
                "latency": latency(url),
            },
        )


if __name__ == "__main__":
    main()
