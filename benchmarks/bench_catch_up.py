"""Catch-up (public.sync_changes): what a call costs, and what keeping its log costs writers.

* ``resume``: 10 000 shops, 1 000 000 orders, 100 000 notifications, 100 000
  products. A customer's three subscriptions (orders, notifications, cart)
  resumed after 10 000 other customers' changes; a shop's orders after 1 000
  of its own changes, to 1 000 different orders (ms per call and per 1 000
  rows returned). Targets:
  each customer call ≤ 5 ms; ≤ 50 ms per 1 000 rows.
* ``start``: the unfiltered products catalogue from a null cursor, paged by
  1 000, as anon: rows/s, against the same rows read as PostgREST reads a
  table (``json_agg`` of a keyset ``select``, as anon) in the same run.
* ``writes``: the stress run's requests/s with catch-up's triggers on and
  off (the schema at 0021 writes the same rows without them), run back to
  back, alternating; target ratio ≥ 0.85.

``ZORA_CATCH_UP_STRESS_SECONDS`` (default 20) sets each stress run's length.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _common import emit, migrated_database
from _volume import (
    generate_customers,
    generate_delivered_orders,
    generate_orders,
    generate_vendors,
)

from tests import stress
from zora_db.acting import become
from zora_db.catchup import Replica, catch_up, pages_of, sync_page
from zora_db.seed import seed
from zora_db.throwaway import LocalCluster
from zora_db.throwaway.databases import database_name

SHOPS = 10_000
CUSTOMERS = 100_000
ORDERS = 1_000_000
NOTIFICATIONS = 100_000
PRODUCTS_PER_SHOP = 10
OTHERS_CHANGES = 10_000
SHOP_CHANGES = 1_000
SAMPLES = 50
STRESS_SECONDS = float(os.environ.get("ZORA_CATCH_UP_STRESS_SECONDS", "20"))
# The catch-up triggers (0022); switched off, the schema writes as it did at 0021.
CATCH_UP_TRIGGERS = (
    "bump_version",
    "log_change",
    "log_visibility_change",
    "log_visibility_change_delete",
)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load(conn: psycopg.Connection) -> None:
    generate_vendors(conn, SHOPS, prefix="shop")
    generate_customers(conn, CUSTOMERS)
    generate_orders(conn, ORDERS)
    conn.execute("set session_replication_role = replica")  # volume: no log for the load
    conn.execute(
        """
        insert into public.notifications (user_id, type, title)
        select id, 'system', 'Welcome' from public.profiles
        where email like 'customer-%%' limit %s
        """,
        [NOTIFICATIONS],
    )
    conn.execute(
        "insert into public.products (vendor_id, name, price) "
        "select v.id, 'Product ' || g, 1 + g from public.vendors v, generate_series(1, %s) g",
        [PRODUCTS_PER_SHOP],
    )
    conn.execute("set session_replication_role = origin")
    conn.execute("vacuum analyze")


def _timed_calls(
    conn: psycopg.Connection, table: str, filter_text: str, cursor: str
) -> dict[str, Any]:
    samples, rows = [], 0
    for _ in range(SAMPLES):
        started = time.perf_counter()
        page = sync_page(conn, table, filter_text, cursor)
        samples.append((time.perf_counter() - started) * 1000)
        rows = len(page["changes"])
    return {"median_ms": round(statistics.median(samples), 3), "max_ms": round(max(samples), 3),
            "changes": rows}  # fmt: skip


def resume(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        customer, shop, owner = conn.execute(
            "select o.user_id, o.vendor_id, v.user_id from public.orders o"
            " join public.vendors v on v.id = o.vendor_id limit 1"
        ).fetchone()
        # A busy shop: enough orders for its 1 000 changes to touch 1 000 of them.
        generate_delivered_orders(conn, shop, SHOP_CHANGES)
        subscriptions = {
            t: f"user_id=eq.{customer}" for t in ("orders", "notifications", "cart_items")
        }
        cursors: dict[str, str | None] = {}
        conn.execute("begin")
        become(conn, customer)
        for table, filter_text in subscriptions.items():
            replica = catch_up(
                pages_of(conn, Replica(table, filter_text)), Replica(table, filter_text)
            )
            cursors[table] = replica.cursor
        conn.execute("commit")
        conn.execute("begin")
        become(conn, owner)
        shop_filter = f"vendor_id=eq.{shop}"
        shop_replica = Replica("orders", shop_filter)
        catch_up(pages_of(conn, shop_replica), shop_replica)
        conn.execute("commit")

        _say(f"{OTHERS_CHANGES:,} other customers' changes, then {SHOP_CHANGES:,} of one shop's")
        for _ in range(OTHERS_CHANGES // 1000):  # a thousand customers' orders a transaction
            conn.execute(
                "update public.orders set notes = 'changed' where id in (select id"
                " from public.orders where user_id <> %s and vendor_id <> %s"
                " order by random() limit 1000)",
                [customer, shop],
            )
        conn.execute("update public.orders set notes = 'mine' where user_id = %s", [customer])
        for batch in range(SHOP_CHANGES // 100):  # 1 000 different orders, 100 a transaction
            conn.execute(
                "update public.orders set notes = 'shop' where id in (select id from"
                " public.orders where vendor_id = %s order by id offset %s limit 100)",
                [shop, batch * 100],
            )
        conn.execute("analyze private.changes")

        figures: dict[str, Any] = {"log_entries": conn.execute(
            "select count(*) from private.changes").fetchone()[0]}  # fmt: skip
        conn.execute("begin")
        become(conn, customer)
        for table, filter_text in subscriptions.items():
            assert cursors[table] is not None
            figures[f"customer_{table}"] = _timed_calls(conn, table, filter_text, cursors[table])
        conn.execute("commit")
        conn.execute("begin")
        become(conn, owner)
        assert shop_replica.cursor is not None
        own = _timed_calls(conn, "orders", shop_filter, shop_replica.cursor)
        conn.execute("commit")
        own["ms_per_1000_rows"] = round(own["median_ms"] * 1000 / max(own["changes"], 1), 3)
        figures["shop_orders"] = own
    return figures


def start(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("begin")
        become(conn, None)  # anon
        replica = Replica("products")
        started = time.perf_counter()
        catch_up(pages_of(conn, replica), replica)
        sync_s = time.perf_counter() - started
        conn.execute("commit")
        conn.execute("begin")
        become(conn, None)
        started, after, rows = time.perf_counter(), "00000000-0000-0000-0000-000000000000", 0
        while True:  # what PostgREST runs for GET /products?order=id&id=gt.<last>&limit=1000
            page = conn.execute(
                "select coalesce(json_agg(t), '[]'), count(*), max(t.id::text) from (select * from"
                " public.products where id > %s order by id limit 1000) t",
                [after],
            ).fetchone()
            rows += page[1]
            if page[1] < 1000:
                break
            after = page[2]
        select_s = time.perf_counter() - started
        conn.execute("commit")
    return {
        "rows": len(replica.rows),
        "pages": replica.pages,
        "sync_changes_rows_per_s": round(len(replica.rows) / sync_s),
        "plain_select_rows_per_s": round(rows / select_s),
        "ratio": round(select_s / sync_s, 2),
    }


def writes(cluster: LocalCluster) -> dict[str, Any]:
    template = migrated_database(cluster, "bench_catch_up_writes")
    seed(template)
    runs: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(2):
        for mode in ("off", "on"):
            url = cluster.superuser_url(
                database_name(cluster.create_database(template="bench_catch_up_writes"))
            )
            if mode == "off":
                with psycopg.connect(url, autocommit=True) as conn:
                    found = conn.execute(
                        "select tgrelid::regclass::text, tgname from pg_trigger"
                        " where tgname = any(%s)",
                        [list(CATCH_UP_TRIGGERS)],
                    ).fetchall()
                    for table, trigger in found:
                        conn.execute(f'alter table {table} disable trigger "{trigger}"')
            report = stress.run(url, STRESS_SECONDS)
            if not report.passed:
                raise SystemExit(f"the stress run broke an invariant (catch-up {mode})")
            runs[mode].append(report.requests / report.seconds)
            _say(f"stress, catch-up {mode}: {runs[mode][-1]:.0f} requests/s")
    return {
        "requests_per_s_on": [round(r) for r in runs["on"]],
        "requests_per_s_off": [round(r) for r in runs["off"]],
        "ratio": round(statistics.mean(runs["on"]) / statistics.mean(runs["off"]), 3),
        "seconds_each": STRESS_SECONDS,
    }


def main() -> None:
    with LocalCluster() as cluster:
        figures: dict[str, Any] = {"writes": writes(cluster)}
        url = migrated_database(cluster, "bench_catch_up")
        _say(f"loading {SHOPS:,} shops, {ORDERS:,} orders, {NOTIFICATIONS:,} notifications")
        with psycopg.connect(url, autocommit=True) as conn:
            _load(conn)
        figures["start"] = start(url)
        figures["resume"] = resume(url)
    emit("catch_up", figures)


if __name__ == "__main__":
    main()
