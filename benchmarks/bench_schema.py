"""The schema under load: nearby search, order triggers, review ratings.

Targets: nearby_vendors over 100 000 vendors median ≤ 5 ms using the index;
10 000 orders with items, triggers on / triggers off ≤ 1.5; a review insert
costs the same at 1 000 and 100 000 reviews of the vendor.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _common import emit, migrated_database, summary, timed
from _volume import generate_delivered_orders, generate_reviews, generate_vendors

from zora_db.acting import become
from zora_db.throwaway import LocalCluster
from zora_db.throwaway.databases import database_name

VENDORS = 100_000
SEARCHES = 300
SEQUENTIAL_SEARCHES = 30  # each one reads every vendor
ORDERS = 10_000
ITEMS_PER_ORDER = 3
USER_TRIGGERS = {  # the triggers this migration set adds to the order tables
    "orders": (
        "prepare_new_order",
        "announce_new_order",
        "check_order_transition",
        "record_order_status_change",
        "set_updated_at",
    ),
    "order_items": (
        "price_order_item",
        "order_items_inserted",
        "order_items_updated",
        "order_items_deleted",
    ),
}


def _fresh(cluster: LocalCluster, template: str) -> str:
    """A clone of ``template``; the superuser's URL (auto_explain, triggers off)."""
    return cluster.superuser_url(database_name(cluster.create_database(template=template)))


def _plan_node(conn: psycopg.Connection, lat: float, lng: float) -> str:
    """The scan node of the query inside nearby_vendors, via auto_explain."""
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    conn.execute("load 'auto_explain'")
    conn.execute("set auto_explain.log_min_duration = 0")
    conn.execute("set auto_explain.log_nested_statements = on")
    conn.execute("set auto_explain.log_level = notice")
    conn.execute("set auto_explain.log_format = json")
    conn.execute("select * from public.nearby_vendors(%s, %s, 10, 20)", [lat, lng]).fetchall()
    conn.execute("set auto_explain.log_min_duration = -1")
    for notice in notices:
        if "public.vendors" in notice:
            plan = json.loads(notice[notice.index("{") :])["Plan"]
            while plan.get("Plans") and "Scan" not in plan["Node Type"]:
                plan = plan["Plans"][0]
            return f"{plan['Node Type']} using {plan.get('Index Name', '-')}"
    return "unknown"


def bench_nearby(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        generate_vendors(conn, VENDORS)
        conn.execute("analyze public.vendors")
        rng = random.Random(7)
        centers = [(50.5 + rng.random() * 7, -4.5 + rng.random() * 5) for _ in range(SEARCHES)]

        def run(conn: psycopg.Connection, limit: int = SEARCHES) -> tuple[list[float], float]:
            times, found = [], 0
            for lat, lng in centers[:limit]:
                started = time.perf_counter()
                found += len(
                    conn.execute(
                        "select * from public.nearby_vendors(%s, %s, 10, 20)", [lat, lng]
                    ).fetchall()
                )
                times.append(time.perf_counter() - started)
            return times, found / len(times)

        run(conn)  # warm the cache and the function's plan
        indexed, per_search = run(conn)
        node = _plan_node(conn, *centers[0])
    # A new session: PL/pgSQL caches the plan, so the setting must come first.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set enable_indexscan = off")
        conn.execute("set enable_bitmapscan = off")
        run(conn, 3)
        sequential, _ = run(conn, SEQUENTIAL_SEARCHES)
        seq_node = _plan_node(conn, *centers[0])
    return {
        "vendors": VENDORS,
        "searches": SEARCHES,
        "radius_km": 10,
        "mean_results": round(per_search, 1),
        "indexed": {**summary(indexed), "plan": node},
        "sequential": {**summary(sequential), "plan": seq_node, "searches": SEQUENTIAL_SEARCHES},
        "speedup_index_over_seqscan": round(
            statistics.median(sequential) / statistics.median(indexed), 1
        ),
    }


def _order_fixture(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        generate_vendors(conn, 100, prefix="shop")
        conn.execute("""
            insert into public.products (vendor_id, name, price)
            select v.id, 'Item ' || g, (1 + g)::numeric(12, 2)
            from public.vendors v, generate_series(1, 10) g
        """)
        conn.execute("""
            insert into auth.users (id, email)
            select gen_random_uuid(), 'customer-' || g || '@zora.test'
            from generate_series(1, 1000) g
        """)


# Cheap generators (arrays, no per-row subqueries), so the figures measure
# the inserts and their triggers, not the way the rows were made up.
ORDERS_SQL = """
    with c as (select array_agg(id) ids from public.profiles where email like 'customer-%%'),
         v as (select array_agg(id order by id) ids from public.vendors
               where shop_name like 'Shop%%')
    insert into public.orders (user_id, vendor_id, subtotal, delivery_fee, currency)
    select c.ids[1 + g %% 1000], v.ids[1 + g %% 100], 0, 0, 'GBP'
    from generate_series(1, %(n)s) g, c, v
"""
ITEMS_SQL = """
    with p as (
      select vendor_id, array_agg(id order by id) ids, array_agg(price order by id) prices,
             array_agg(name order by id) names
      from public.products group by vendor_id
    )
    insert into public.order_items (order_id, product_id, quantity, unit_price, product_name)
    select o.id, p.ids[k], 1 + k, p.prices[k], p.names[k]
    from public.orders o join p on p.vendor_id = o.vendor_id
    cross join generate_series(1, %(k)s) k
"""


def _set_user_triggers(conn: psycopg.Connection, enabled: bool) -> None:
    verb = "enable" if enabled else "disable"
    for table, triggers in USER_TRIGGERS.items():
        for trigger in triggers:
            conn.execute(f"alter table public.{table} {verb} trigger {trigger}")


def _insert_orders(url: str, triggers: bool) -> float:
    with psycopg.connect(url) as conn:
        _set_user_triggers(conn, triggers)
        conn.commit()
        started = time.perf_counter()
        conn.execute(ORDERS_SQL, {"n": ORDERS})
        conn.execute(ITEMS_SQL, {"k": ITEMS_PER_ORDER})
        conn.commit()  # the deferred new-order triggers run here: part of the cost
        return time.perf_counter() - started


def _insert_orders_one_by_one(url: str, triggers: bool, count: int) -> float:
    """The apps' path: one transaction per order (create_order when triggers are on)."""
    with psycopg.connect(url) as conn:
        _set_user_triggers(conn, triggers)
        conn.commit()
        pairs = conn.execute("""
            select c.id, v.id, array_agg(p.id order by p.id)
            from (select id, row_number() over () r from public.profiles
                  where email like 'customer-%') c
            join (select id, row_number() over () r from public.vendors
                  where shop_name like 'Shop%') v on v.r = c.r % 100 + 1
            join public.products p on p.vendor_id = v.id
            group by c.id, v.id
        """).fetchall()
        started = time.perf_counter()
        for i in range(count):
            customer, vendor, products = pairs[i % len(pairs)]
            items = [{"product_id": str(p), "quantity": 2} for p in products[:ITEMS_PER_ORDER]]
            if triggers:
                become(conn, customer, keep_role=True)
                conn.execute(
                    "select public.create_order(%s, %s::jsonb)", [vendor, json.dumps(items)]
                )
            else:
                order = conn.execute(
                    "insert into public.orders (user_id, vendor_id, subtotal, delivery_fee, "
                    "currency) values (%s, %s, 0, 0, 'GBP') returning id",
                    [customer, vendor],
                ).fetchone()
                assert order is not None
                conn.execute(
                    "insert into public.order_items (order_id, product_id, quantity, unit_price, "
                    "product_name) select %s, p.id, 2, p.price, p.name from public.products p "
                    "where p.id = any(%s)",
                    [order[0], products[:ITEMS_PER_ORDER]],
                )
            conn.commit()
        return time.perf_counter() - started


def bench_orders(cluster: LocalCluster, template: str) -> dict[str, Any]:
    fixture = _fresh(cluster, template)
    _order_fixture(fixture)
    name = fixture.rsplit("/", 1)[1]
    bulk_on = [_insert_orders(_fresh(cluster, name), True) for _ in range(3)]
    bulk_off = [_insert_orders(_fresh(cluster, name), False) for _ in range(3)]
    single = 2_000
    one_on = [_insert_orders_one_by_one(_fresh(cluster, name), True, single) for _ in range(3)]
    one_off = [_insert_orders_one_by_one(_fresh(cluster, name), False, single) for _ in range(3)]
    return {
        "bulk": {
            "orders": ORDERS,
            "items_per_order": ITEMS_PER_ORDER,
            "triggers_on": summary(bulk_on),
            "triggers_off": summary(bulk_off),
            "ratio_on_over_off": round(statistics.median(bulk_on) / statistics.median(bulk_off), 2),
        },
        "one_transaction_per_order": {
            "orders": single,
            "items_per_order": ITEMS_PER_ORDER,
            "triggers_on_via_create_order": summary(one_on),
            "triggers_off": summary(one_off),
            "ratio_on_over_off": round(statistics.median(one_on) / statistics.median(one_off), 2),
        },
    }


def bench_reviews(cluster: LocalCluster, template: str) -> dict[str, Any]:
    url = _fresh(cluster, template)
    samples = 200
    figures: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        generate_vendors(conn, 1, prefix="rated")
        row = conn.execute("select id from public.vendors where shop_name like 'Shop%'").fetchone()
        assert row is not None
        vendor = row[0]
        reviewed = 0
        for level in (1_000, 100_000):
            generate_delivered_orders(conn, vendor, level - reviewed + samples)
            generate_reviews(conn, vendor, level - reviewed)
            reviewed = level
            spare = [
                r[0]
                for r in conn.execute(
                    "select id from public.orders o where vendor_id = %s and not exists "
                    "(select from public.reviews r where r.order_id = o.id) limit %s",
                    [vendor, samples],
                ).fetchall()
            ]
            times = []
            for order in spare:
                times.append(
                    timed(
                        lambda o=order: conn.execute(
                            "insert into public.reviews (order_id, user_id, vendor_id, rating) "
                            "select id, user_id, vendor_id, 4 from public.orders where id = %s",
                            [o],
                        )
                    )
                )
            conn.execute("delete from public.reviews where order_id = any(%s)", [spare])
            figures[f"at_{level}_reviews"] = summary(times)
        check = conn.execute(
            "select review_count from public.vendors where id = %s", [vendor]
        ).fetchone()
        figures["vendor_review_count_after"] = check[0] if check else None
    figures["ratio_100k_over_1k"] = round(
        figures["at_100000_reviews"]["median_s"] / figures["at_1000_reviews"]["median_s"], 2
    )
    return figures


def main() -> None:
    with LocalCluster() as cluster:
        migrated_database(cluster, "bench_schema")
        figures = {
            "nearby_vendors": bench_nearby(_fresh(cluster, "bench_schema")),
            "orders_with_items": bench_orders(cluster, "bench_schema"),
            "review_insert": bench_reviews(cluster, "bench_schema"),
        }
    emit("schema", figures)


if __name__ == "__main__":
    main()
