"""A short stress run in make test: the apps' traffic racing, then the invariants."""

from __future__ import annotations

import psycopg

from tests import stress
from tests.conftest import as_superuser
from zora_db.throwaway import Throwaway


def test_a_short_stress_run_keeps_every_invariant(seeded_db_url: str) -> None:
    report = stress.run(seeded_db_url, seconds=6)
    summary = report.as_json()
    assert summary["forbidden"] == {"40P01": 0, "40001": 0, "55P03": 0}, summary
    assert set(summary["invariants"].values()) == {"holds"}, summary
    # The apps' main flows ran (how many is the machine's speed: bench_stress reports it).
    ran = {name for name, action in summary["actions"].items() if action["count"]}
    assert {"create_order", "status move", "cart", "list open orders"} <= ran, summary


def test_the_invariants_catch_what_they_are_for(server: Throwaway, seeded_db_url: str) -> None:
    # Only a superuser may switch the triggers off to plant the damage.
    with psycopg.connect(as_superuser(server, seeded_db_url), autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # no triggers: plant the damage
        conn.execute("update public.orders set subtotal = subtotal + 1 where id = "
                     "(select id from public.orders limit 1)")  # fmt: skip
        conn.execute("delete from public.order_status_history where id = "
                     "(select max(id) from public.order_status_history)")  # fmt: skip
        conn.execute("update public.vendors set review_count = review_count + 1 where id = "
                     "(select id from public.vendors limit 1)")  # fmt: skip
    report = stress.run(seeded_db_url, seconds=0)
    broken = {name for name, rows in report.invariants.items() if rows}
    assert {n.split(":")[0] for n in broken} == {"money", "history", "notifications", "ratings"}
    assert not report.passed
