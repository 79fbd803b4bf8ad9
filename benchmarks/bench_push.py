"""Push delivery: commit of a status change to the message at Expo, and the worker's throughput.

* ``latency``: 200 orders confirmed by their shop, one transaction each,
  committed with synchronous_commit on; the time from each commit to the
  message reaching the local stand-in for Expo (tests/fake_expo.py), one
  worker waiting on NOTIFY. Target p95 ≤ 2 s (the plan's), stretch ≤ 500 ms.
* ``throughput``: 10 000 pending rows drained by 1 and by 4 workers against a
  stand-in that answers at once: messages/s at Expo's 600 a second per
  worker, and with that pacing off (the worker's own capacity).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' stand-in for Expo

import psycopg
from _common import emit, migrated_database

from tests.fake_expo import FakeExpoServer
from zora_db.acting import become
from zora_db.push.expo import ExpoClient
from zora_db.push.worker import WorkerSettings, run
from zora_db.seed import seed, seed_id
from zora_db.throwaway import LocalCluster
from zora_db.throwaway.databases import database_name

CHANGES = 200
PENDING = 10_000
ALICE = seed_id("user:alice")
CAMDEN_OWNER = seed_id("user:camden-bakery")
CAMDEN = seed_id("vendor:camden-bakery")
SOURDOUGH = seed_id("product:camden-bakery:Sourdough loaf")
ADDRESS = seed_id("address:alice")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _one_device(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("delete from private.push_outbox")
        conn.execute("delete from public.device_tokens")
        conn.execute(
            "insert into public.device_tokens (user_id, token, platform)"
            " values (%s, 'ExponentPushToken[bench]', 'ios')",
            [ALICE],
        )


def latency(url: str) -> dict[str, Any]:
    _one_device(url)
    committed: dict[str, float] = {}
    with FakeExpoServer() as expo, psycopg.connect(url) as conn:
        stop = threading.Event()
        worker = threading.Thread(
            target=run, args=(url, ExpoClient(expo.url)), kwargs={"stop": stop}
        )
        worker.start()
        conn.execute("set synchronous_commit = on")
        conn.commit()
        for _ in range(CHANGES):
            become(conn, ALICE)
            (order,) = conn.execute(
                "select id from public.create_order(%s, %s::jsonb, %s)",
                [CAMDEN, f'[{{"product_id": "{SOURDOUGH}", "quantity": 1}}]', ADDRESS],
            ).fetchone()
            conn.commit()
            become(conn, CAMDEN_OWNER)
            conn.execute("update public.orders set status = 'confirmed' where id = %s", [order])
            conn.commit()
            committed[str(order)] = time.monotonic()
            time.sleep(0.02)
        deadline = time.monotonic() + 30
        while len(expo.fake.messages) < CHANGES and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        worker.join()
        with expo.fake.lock:
            arrived = [
                (m["data"].get("orderId") or m["data"].get("order_id"), t)
                for m, t in zip(expo.fake.messages, expo.fake.arrived, strict=True)
            ]
    seconds = [t - committed[o] for o, t in arrived if o in committed and t >= committed[o]]
    ordered = sorted(seconds)
    return {
        "status_changes": CHANGES,
        "measured": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def throughput(cluster: LocalCluster, template: str, workers: int, rate: float) -> float:
    url = cluster.superuser_url(database_name(cluster.create_database(template=template)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into public.notifications (user_id, type, title)"
            " select %s, 'system', 'n' || g from generate_series(1, %s) g",
            [ALICE, PENDING],
        )
    settings = replace(WorkerSettings(), max_rate=rate)
    with FakeExpoServer() as expo:
        threads = [
            threading.Thread(
                target=run,
                args=(url, ExpoClient(expo.url)),
                kwargs={"once": True, "settings": settings},
            )
            for _ in range(workers)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        assert len(expo.fake.messages) == PENDING, len(expo.fake.messages)
    return round(PENDING / elapsed)


def main() -> None:
    with LocalCluster() as cluster:
        url = migrated_database(cluster, "bench_push")
        seed(url)
        figures: dict[str, Any] = {"latency": latency(url)}
        _one_device(url)
        figures["throughput_messages_per_s"] = {
            f"{workers} worker(s), {label}": throughput(cluster, "bench_push", workers, rate)
            for workers in (1, 4)
            for label, rate in (("600/s each", 600.0), ("unpaced", float("inf")))
        }
        _say("done")
    emit("push", figures)


if __name__ == "__main__":
    main()
