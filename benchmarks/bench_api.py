"""The apps' API: `make demo` to a serving API, and RLS's price through PostgREST.

* ``demo``: `make demo`'s command, `zora-db dev up` (the database and its
  API started, migrated, seeded, status printed), as a process on a warm
  machine (virtual environment and npm packages installed): into a fresh
  development directory, then again with everything already up. Target
  ≤ 3 s; the anchor, `supabase start`, pulls and starts about ten containers
  (it cannot run here: no Docker).
* ``newest_orders``: a customer's 20 newest of 1 000 000 orders through a real
  PostgREST, as the customer (RLS, `user_id=eq.` as the app sends it) and as
  service_role with the same filter; p50 over 200 requests each, kept-alive
  HTTP. Target ratio ≤ 1.3.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _common import emit, migrated_database
from bench_rls import _customers, _load

from zora_db.api import PostgrestServer
from zora_db.ports import free_port
from zora_db.throwaway import LocalCluster
from zora_db.tokens import ApiKeys, new_secret
from zora_db.urls import with_params

REQUESTS = 200
ZORA = str(Path(sys.executable).with_name("zora-db"))


def _timed(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([ZORA, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def demo() -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="zora-bench-demo-"))
    directory.chmod(0o755)
    env = {
        **os.environ,
        "ZORA_DEV_DIR": str(directory / "dev"),
        "ZORA_DEV_PORT": str(free_port()),
        "ZORA_DEV_API_PORT": str(free_port()),
    }
    try:
        runs = {}
        for run in ("fresh", "again"):
            runs[run] = round(_timed("dev", "up", env=env), 2)  # what `make demo` runs
        return {**runs, "target_s": 3.0}
    finally:
        subprocess.run([ZORA, "dev", "stop"], env=env, capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)


def _p50(conn: http.client.HTTPConnection, path: str, token: str, anon: str) -> float:
    headers = {"apikey": anon, "Authorization": f"Bearer {token}"}
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        times.append(time.perf_counter() - started)
        assert answer.status == 200 and len(json.loads(body)) == 20, body[:200]
    return statistics.median(times) * 1000


def newest_orders() -> dict[str, Any]:
    with LocalCluster() as cluster:
        url = migrated_database(cluster)
        _load(url)
        customer = _customers(url)[0]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("alter role authenticator password 'bench'")
        as_authenticator = with_params(url, user="authenticator", password="bench")
        keys = ApiKeys(new_secret())
        with PostgrestServer(as_authenticator, keys.secret) as postgrest:
            conn = http.client.HTTPConnection("127.0.0.1", postgrest.port)
            path = f"/orders?select=*&user_id=eq.{customer}&order=created_at.desc&limit=20"
            _p50(conn, path, keys.user(customer), keys.anon)  # warm: pool, plans
            as_customer = _p50(conn, path, keys.user(customer), keys.anon)
            as_service = _p50(conn, path, keys.service_role, keys.anon)
    return {
        "requests": REQUESTS,
        "customer_p50_ms": round(as_customer, 3),
        "service_role_p50_ms": round(as_service, 3),
        "ratio": round(as_customer / as_service, 2),
        "target_ratio": 1.3,
    }


def main() -> None:
    emit("api", {"demo": demo(), "newest_orders": newest_orders()})


if __name__ == "__main__":
    main()
