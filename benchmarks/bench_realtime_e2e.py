"""Realtime as the apps receive it: commit → supabase-js callback, and a cut → converged.

* ``latency``: 100 supabase-js clients (anon and three customers in turn,
  one socket each, vsn 2.0.0, spread over 4 node processes) subscribed to
  one product's UPDATEs through ``zora_db.api.server``; 200 commits, 20 ms
  apart; from each commit's return to each client's callback, p50 and p99
  over every delivery. Targets: p99
  ≤ 500 ms (the plan's), stretch ≤ 200 ms; reported as ratios to both.
* ``recovery``: the customer's app of ``tests/api/recovery.mjs``; the
  server stops, her orders change, the server starts: from the moment it
  accepts connections again to the app's replica equal to what the API lists
  (reconnect, rejoin, catch-up through ``sync_changes``). Target ≤ 5 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _common import emit, migrated_database

from tests import node
from zora_db.api import PostgrestServer
from zora_db.api.process import ApiProcess
from zora_db.ports import free_port
from zora_db.seed import seed, seed_id
from zora_db.throwaway import LocalCluster
from zora_db.throwaway.databases import database_name
from zora_db.tokens import ApiKeys, new_secret
from zora_db.urls import with_params

SCRIPTS = Path(__file__).resolve().parent.parent / "tests" / "api"
SUBSCRIBERS = int(os.environ.get("ZORA_BENCH_SUBSCRIBERS", "100"))
CHANGES = 200
GAP_S = 0.02
PROCESSES = 4  # node processes the subscribers are spread over
RECOVERIES = int(os.environ.get("ZORA_BENCH_RECOVERIES", "5"))
PEOPLE = ("alice", "bob", "chloe")


def environment(url: str, keys: ApiKeys) -> dict[str, str]:
    ids = {who: str(seed_id(f"user:{who}")) for who in PEOPLE}
    ids["sourdough"] = str(seed_id("product:camden-bakery:Sourdough loaf"))
    api = {
        "url": url,
        "anonKey": keys.anon,
        "serviceKey": keys.service_role,
        "secret": keys.secret,
        "tokens": {who: keys.user(ids[who]) for who in PEOPLE},
        "ids": ids,
        "vsn": "2.0.0",
    }
    return {**os.environ, "ZORA_API": json.dumps(api)}


def read(app: subprocess.Popen[str]) -> dict[str, Any]:
    assert app.stdout is not None
    text = app.stdout.readline()
    if not text:
        raise SystemExit(f"the node script ended: {app.stderr.read() if app.stderr else ''}")
    found: dict[str, Any] = json.loads(text)
    return found


def latency(db_url: str, env: dict[str, str], product: str) -> dict[str, Any]:
    # The subscribers are devices: spread over processes, so that one node event loop
    # decoding every delivery of a hundred clients is not what is measured.
    apps = [
        subprocess.Popen(
            ["node", str(SCRIPTS / "latency.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "ZORA_SUBSCRIBERS": str(SUBSCRIBERS // PROCESSES)},
            cwd=SCRIPTS,
        )
        for _ in range(PROCESSES)
    ]
    delays: list[float] = []
    try:
        for app in apps:
            read(app)
        committed: dict[int, float] = {}
        with psycopg.connect(db_url, autocommit=True) as conn:
            for seq in range(1, CHANGES + 1):
                conn.execute(
                    "update public.products set stock_quantity = %s where id = %s", [seq, product]
                )
                committed[seq] = time.time() * 1000
                time.sleep(GAP_S)
        time.sleep(2)
        for app in apps:
            assert app.stdin is not None
            app.stdin.write("done\n")
            app.stdin.flush()
            received = read(app)["received"]
            delays += [t - committed[int(seq)] for seq, times in received.items() for t in times]
    finally:
        for app in apps:
            app.kill()
    quantiles = statistics.quantiles(delays, n=100)
    return {
        "subscribers": SUBSCRIBERS,
        "client_processes": PROCESSES,
        "changes": CHANGES,
        "deliveries": len(delays),
        "expected_deliveries": SUBSCRIBERS * CHANGES,
        "p50_ms": round(statistics.median(delays), 1),
        "p99_ms": round(quantiles[98], 1),
        "max_ms": round(max(delays), 1),
        "p99_vs_target_500ms": round(quantiles[98] / 500, 3),
        "p99_vs_stretch_200ms": round(quantiles[98] / 200, 3),
    }


def recovery(db_url: str, env: dict[str, str], server: ApiProcess) -> dict[str, Any]:
    samples = []
    for run in range(RECOVERIES):
        app = subprocess.Popen(["node", str(SCRIPTS / "recovery.mjs")], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env,
                               cwd=SCRIPTS)  # fmt: skip
        try:
            read(app)
            server.stop()
            with psycopg.connect(db_url, autocommit=True) as conn:
                conn.execute(
                    "update public.orders set notes = %s where user_id = %s",
                    [f"gap {run}", seed_id("user:alice")],
                )
            server.start()
            restored = time.time() * 1000
            samples.append(read(app)["converged"] - restored)
        finally:
            app.kill()
    return {
        "runs": RECOVERIES,
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
        "median_vs_target_5s": round(statistics.median(samples) / 5000, 3),
    }


def main() -> None:
    node.linked_into(SCRIPTS)
    with LocalCluster() as cluster:
        db_url = migrated_database(cluster)
        seed(db_url)
        owner = cluster.url(database_name(db_url))  # Realtime connects as the owner
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("alter role authenticator password 'zora-bench'")
        keys = ApiKeys(new_secret())
        as_authenticator = with_params(owner, user="authenticator", password="zora-bench")
        with (
            PostgrestServer(as_authenticator, keys.secret) as postgrest,
            ApiProcess(free_port(), postgrest.url, owner, keys.secret) as server,
        ):
            env = environment(server.url, keys)
            product = str(seed_id("product:camden-bakery:Sourdough loaf"))
            emit("realtime_e2e", {
                "latency": latency(db_url, env, product),
                "recovery": recovery(db_url, env, server),
            })  # fmt: skip


if __name__ == "__main__":
    main()
