"""Row level security's price: a customer lists their 20 newest orders.

1 000 000 orders over 10 000 customers (100 each) and 100 shops. The same
query as ``authenticated`` under RLS (role and JWT claims, as PostgREST sets
them) and as ``service_role`` (bypasses RLS) with the equivalent ``WHERE``.

* ``app_query``: what the apps send (``.eq('user_id', user.id)``), so the
  policy only filters what the index already found. Target ratio ≤ 1.3, the
  plan on orders_user_created_idx.
* ``policy_only``: no ``WHERE``, the policy alone must find the rows.
* ``unwrapped``: the same two with the policy's calls not wrapped in a
  sub-select (``auth.uid()``, ``private.is_admin()`` per row).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _common import emit, migrated_database
from _volume import generate_customers, generate_orders, generate_vendors

from zora_db.acting import become
from zora_db.throwaway import LocalCluster

ORDERS = 1_000_000
CUSTOMERS = 10_000
SHOPS = 100
SAMPLES = 2_000  # queries per variant, round-robin over the customers below
SCAN_SAMPLES = 5  # the policy alone reads the whole table each time
SLOW_SAMPLES = 1  # ... and unwrapped calls its functions for every row (~30 s a query)
SAMPLED_CUSTOMERS = 200

NEWEST = "select * from public.orders {where} order by created_at desc limit 20"
UNWRAPPED_POLICY = """
    drop policy orders_select on public.orders;
    create policy orders_select on public.orders for select to authenticated
      using (user_id = auth.uid() or vendor_id = private.current_vendor_id()
             or private.is_admin());
"""


def _load(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        generate_vendors(conn, SHOPS, prefix="shop")
        generate_customers(conn, CUSTOMERS)
        generate_orders(conn, ORDERS)
        conn.execute("vacuum analyze public.orders")


def _customers(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select id::text from public.profiles where email like 'customer-%%' "
            "order by id limit %s",
            [SAMPLED_CUSTOMERS],
        ).fetchall()
    return [r[0] for r in rows]


def _plan(conn: psycopg.Connection[Any], statement: str, params: list[Any]) -> dict[str, Any]:
    """The scan under the Limit, the indexes the plan reads and the rows it threw away."""
    row = conn.execute(f"explain (analyze, format json) {statement}", params).fetchone()
    assert row is not None
    plan = row[0][0]["Plan"]

    def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
        return [node, *(n for child in node.get("Plans", []) for n in nodes(child))]

    scans = [n for n in nodes(plan) if "Scan" in n["Node Type"]]
    return {
        "node": scans[0]["Node Type"] if scans else plan["Node Type"],
        "indexes": sorted({n["Index Name"] for n in scans if "Index Name" in n}),
        "rows_removed_by_filter": sum(n.get("Rows Removed by Filter", 0) for n in scans),
    }


def _measure(
    url: str,
    role: str,
    with_where: bool,
    customers: list[str],
    samples: int = SAMPLES,
    warm: int = SAMPLED_CUSTOMERS,
) -> dict[str, Any]:
    statement = NEWEST.format(where="where user_id = %s" if with_where else "")
    with psycopg.connect(url) as conn:  # one read-only transaction for every sample

        def run(customer: str) -> float:
            become(conn, customer, role=role)
            params = [customer] if with_where else []
            started = time.perf_counter()
            rows = conn.execute(statement, params).fetchall()
            elapsed = time.perf_counter() - started
            assert len(rows) == 20 and all(str(r[1]) == customer for r in rows), "wrong rows"
            return elapsed

        for customer in customers[:warm]:  # warm the cache and the plan
            run(customer)
        times = [run(customers[i % len(customers)]) for i in range(samples)]
        become(conn, customers[0], role=role)
        plan = _plan(conn, statement, [customers[0]] if with_where else [])
    return {
        "median_ms": round(statistics.median(times) * 1000, 3),
        "p99_ms": round(_p99(times) * 1000, 3),
        "queries": samples,
        "plan": plan,
    }


def _p99(times: list[float]) -> float:
    if len(times) < 2:
        return times[0]
    return statistics.quantiles(times, n=100, method="inclusive")[98]


def _compare(url: str, customers: list[str], scan_samples: int) -> dict[str, Any]:
    service = _measure(url, "service_role", True, customers)
    app = _measure(url, "authenticated", True, customers)
    policy_only = _measure(
        url, "authenticated", False, customers, scan_samples, warm=int(scan_samples > 1)
    )
    return {
        "service_role_with_where": service,
        "app_query": {**app, "ratio_to_service_role": _ratio(app, service)},
        "policy_only": {**policy_only, "ratio_to_service_role": _ratio(policy_only, service)},
    }


def _ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return round(a["median_ms"] / b["median_ms"], 2)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    with LocalCluster() as cluster:
        _say(f"loading {ORDERS:,} orders of {CUSTOMERS:,} customers")
        started = time.perf_counter()
        url = migrated_database(cluster, "bench_rls")
        _load(url)
        load_s = time.perf_counter() - started
        customers = _customers(url)
        _say(f"loaded in {load_s:.0f} s; measuring the policy as migrated")
        wrapped = _compare(url, customers, SCAN_SAMPLES)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(UNWRAPPED_POLICY)
        _say("measuring the policy with its calls unwrapped")
        unwrapped = _compare(url, customers, SCAN_SAMPLES)
    emit(
        "rls",
        {
            "orders": ORDERS,
            "customers": CUSTOMERS,
            "load_s": round(load_s, 1),
            "target_ratio": 1.3,
            "wrapped": wrapped,
            "unwrapped": unwrapped,
        },
    )


if __name__ == "__main__":
    main()
