"""What the hardening costs and saves: nearby_vendors as anon, create_order at its limit.

* ``nearby_vendors``: 100 000 verified shops spread over Great Britain, called
  as anon (RLS on, as the storefront calls it) and as service_role, in a
  dense city (London, 10 km: more shops than max_results), a sparse place
  with fewer (the Highlands, 1 km) and the open sea (North Sea, 1 km); the
  median of 50 calls each. Target ≤ 5 ms every time (before 0020 a sparse
  place took 485 ms as anon: every shop walked).
* ``create_order_at_the_limit``: an order of orders.max_items (50) lines as
  a customer, median of 20, and what one over the limit costs to refuse.
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
from _volume import generate_vendors

from zora_db.acting import become
from zora_db.seed import seed_id
from zora_db.sqlstates import ZoraSqlState

SHOPS = 100_000
CALLS = 50
PLACES = {  # (lat, lng, radius km)
    "dense: London, 10 km": (51.5072, -0.1276, 10),
    "sparse: the Highlands, 1 km": (57.2, -4.9, 1),
    "open sea: North Sea, 1 km": (56.0, 3.0, 1),
}


def nearby(url: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for role in ("anon", "service_role"):
        with psycopg.connect(url) as conn:
            become(conn, role=role)  # one read-only transaction for every call
            for place, (lat, lng, radius) in PLACES.items():
                call = "select count(*) from public.nearby_vendors(%s, %s, %s, 20)"
                conn.execute(call, [lat, lng, radius])  # warm
                times, found = [], 0
                for _ in range(CALLS):
                    started = time.perf_counter()
                    row = conn.execute(call, [lat, lng, radius]).fetchone()
                    times.append(time.perf_counter() - started)
                    found = row[0] if row else 0
                results.setdefault(place, {})[role] = {
                    "median_ms": round(statistics.median(times) * 1000, 3),
                    "shops_found": found,
                }
    return {"shops": SHOPS, "places": results, "target_ms": 5}


def create_order_at_the_limit(url: str) -> dict[str, Any]:
    alice = seed_id("user:alice")
    camden = seed_id("vendor:camden-bakery")
    products = [
        seed_id(f"product:camden-bakery:{name}")
        for name in ("Sourdough loaf", "Cinnamon bun", "Flat white beans 250g")
    ]
    items = [{"product_id": str(products[i % 3]), "quantity": 1} for i in range(50)]
    times, refused = [], []
    with psycopg.connect(url) as conn:
        for attempt in range(21):
            become(conn, alice)
            started = time.perf_counter()
            conn.execute(
                "select id from public.create_order(%s, %s::jsonb)", [camden, json.dumps(items)]
            )
            conn.commit()
            if attempt:
                times.append(time.perf_counter() - started)
            become(conn, alice)
            started = time.perf_counter()
            try:
                conn.execute(
                    "select public.create_order(%s, %s::jsonb)",
                    [camden, json.dumps([*items, items[0]])],
                )
            except psycopg.DatabaseError as exc:
                if exc.sqlstate != ZoraSqlState.OVER_LIMIT:
                    raise
                refused.append(time.perf_counter() - started)
            conn.rollback()
        rows = conn.execute(
            "select count(*) from public.order_items i join public.orders o on o.id = i.order_id "
            "where o.user_id = %s and o.vendor_id = %s",
            [alice, camden],
        ).fetchone()
    return {
        "lines": len(items),
        "median_ms": round(statistics.median(times) * 1000, 2),
        "refused_over_the_limit_ms": round(statistics.median(refused) * 1000, 3),
        "item_rows_of_alice_at_camden": rows[0] if rows else 0,
    }


def main() -> None:
    with seeded_database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            generate_vendors(conn, SHOPS)
            conn.execute("vacuum analyze public.vendors")
        emit(
            "hardening",
            {
                "nearby_vendors": nearby(url),
                "create_order_at_the_limit": create_order_at_the_limit(url),
            },
        )


if __name__ == "__main__":
    main()
