"""`zora-db verify` and its realtime check: logical decoding of the publication."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.cli import run_cli
from tests.conftest import query
from zora_db.catalog import introspect
from zora_db.contract import REALTIME_TABLES
from zora_db.seed import seed_id
from zora_db.throwaway import Throwaway
from zora_db.verify import GROUPS, verify
from zora_db.verify.checks import CheckFailed
from zora_db.verify.realtime import Change, Stream, check_realtime


def _changes(url: str, *statements: str) -> list[Change]:
    """What a pgoutput stream of supabase_realtime decodes for ``statements``."""
    stream = Stream(url)
    try:
        with psycopg.connect(url, autocommit=True) as writer:
            # Decoding reads flushed WAL only; the throwaway server does not wait for it.
            writer.execute("set synchronous_commit = on")
            for statement in statements:
                writer.execute(statement)  # type: ignore[arg-type]
        return stream.read()
    finally:
        stream.close()


def _fingerprint(url: str) -> list[tuple[object, ...]]:
    """Every published table's rows, hashed: equal fingerprints, equal data."""
    return [
        (
            table,
            *query(
                url,
                f"select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) "
                f"from {table} t",
            )[0],
        )
        for table in REALTIME_TABLES
    ]


def test_every_published_table_streams_its_changes(seeded_db_url: str) -> None:
    before = _fingerprint(seeded_db_url)
    results = check_realtime(seeded_db_url, introspect(seeded_db_url))
    assert sorted(r.table for r in results) == sorted(REALTIME_TABLES)
    assert [(r.table, r.problems) for r in results if not r.passed] == []
    assert all(len(r.latencies_ms) == 3 for r in results)
    assert _fingerprint(seeded_db_url) == before  # each row was put back as it was


def test_orders_carry_the_previous_row_other_tables_only_their_key(seeded_db_url: str) -> None:
    order = query(seeded_db_url, "select id from public.orders order by id limit 1")[0][0]
    bakery = seed_id("vendor:camden-bakery")
    changes = _changes(
        seeded_db_url,
        f"update public.orders set notes = 'ring twice' where id = '{order}'",
        f"update public.vendors set description = 'new' where id = '{bakery}'",
        "delete from public.cart_items where id = (select min(id::text)::uuid "
        "from public.cart_items)",
    )
    by_table = {(c.relation, c.kind): c for c in changes}
    order_update = by_table["public.orders", "update"]
    assert order_update.old is not None and not order_update.old_is_key_only
    assert str(order) in order_update.old and "ring twice" in (order_update.new or [])
    vendor_update = by_table["public.vendors", "update"]
    assert vendor_update.old is None  # default identity, key unchanged: no old row
    assert "new" in (vendor_update.new or [])
    cart_delete = by_table["public.cart_items", "delete"]
    assert cart_delete.old_is_key_only
    assert cart_delete.old is not None
    assert [v for v in cart_delete.old if v is not None] == [cart_delete.old[0]]  # the id only


def test_a_table_left_out_of_the_stream_is_reported(seeded_db_url: str) -> None:
    query(seeded_db_url, "alter publication supabase_realtime set (publish = 'insert')")
    results = check_realtime(seeded_db_url, introspect(seeded_db_url), timeout_s=0.2)
    problems = {r.table: r.problems for r in results}
    assert problems["public.orders"] == [
        "no delete arrived on the stream",
        "no update arrived on the stream",
    ]
    assert not any(r.passed for r in results)


def test_an_empty_table_cannot_be_checked(db_url: str) -> None:
    results = check_realtime(db_url, introspect(db_url), timeout_s=0.2)
    assert {r.table: r.problems for r in results}["public.orders"] == [
        "no row to probe with (the table is empty)"
    ]


def test_no_publication_is_a_clear_failure(seeded_db_url: str) -> None:
    query(seeded_db_url, "drop publication supabase_realtime")
    with pytest.raises(CheckFailed, match="no supabase_realtime publication"):
        check_realtime(seeded_db_url, introspect(seeded_db_url))


def test_verify_passes_on_the_seeded_schema(seeded_db_url: str) -> None:
    seen: list[str] = []
    report = verify(seeded_db_url, progress=seen.append)
    assert report.failures == []
    assert [g.name for g in report.groups] == list(GROUPS)
    assert {g.name: g.checks for g in report.groups}["access matrix"] == 408
    assert len(seen) == len(GROUPS)
    assert report.latency()["p99"] < 50


def test_verify_reports_what_a_dropped_policy_breaks(seeded_db_url: str) -> None:
    query(seeded_db_url, "drop policy orders_select on public.orders")
    report = verify(seeded_db_url)
    failed = {(o.group, o.name) for o in report.failures}
    assert ("access matrix", "alice select orders") in failed
    assert ("attacks", "read orders through items") in failed
    # Every denial the matrix leans on orders' visibility for: nothing unrelated fails.
    assert {group for group, _ in failed} == {"access matrix", "attacks", "triggers"}
    assert not report.passed


def _databases(server: Throwaway) -> set[str]:
    return {name for (name,) in query(server.admin_url, "select datname from pg_database")}


def test_cli_verify_on_a_server_leaves_its_databases_alone(
    server: Throwaway, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _databases(server)
    result = run_cli(capsys, "-d", server.admin_url, "verify", "--json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["passed"] is True and report["failures"] == []
    assert [g["name"] for g in report["groups"]] == list(GROUPS)
    assert report["realtime"]["changes"] == 3 * len(REALTIME_TABLES)
    assert _databases(server) == before


def test_cli_verify_fails_on_a_weakened_migration(
    server: Throwaway,
    extra_migrations: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = extra_migrations(
        "e1",
        "alter table public.orders replica identity default; "
        "drop policy vendors_update on public.vendors;",
    )
    result = run_cli(capsys, "-c", str(config), "-d", server.admin_url, "verify")
    assert result.code == 1
    assert "FAILED lint: realtime_replica_identity public.orders" in result.out
    assert "FAILED access matrix: camden update vendors" in result.out
    assert "checks failed" in result.out


def test_cli_verify_without_a_url_uses_a_throwaway(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ZORA_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = run_cli(capsys, "verify")
    assert result.code == 0, result.out + result.err
    assert "temporary database on a throwaway server" in result.err
    assert "verified: all" in result.out
