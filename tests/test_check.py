"""zora-db check: revision status, and drift planted by hand is found."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.conftest import query
from zora_db import migrations
from zora_db.catalog import introspect
from zora_db.check import check, revision_status
from zora_db.drift import compare
from zora_db.errors import RevisionError

# (what someone did by hand, kind, object, change, a word the detail must hold)
PLANTED = [
    (
        "alter table public.categories alter column description type varchar(100)",
        "column",
        "public.categories.description",
        "changed",
        "character varying(100)",
    ),
    (
        "alter table public.products alter column stock_quantity drop default",
        "column",
        "public.products.stock_quantity",
        "changed",
        "default",
    ),
    (
        "alter table public.addresses alter column label set not null",
        "column",
        "public.addresses.label",
        "changed",
        "nullable",
    ),
    (
        "alter table public.orders add column tip numeric",
        "column",
        "public.orders.tip",
        "unexpected",
        "",
    ),
    (
        "alter table public.reviews drop constraint reviews_rating_check",
        "constraint",
        "public.reviews.reviews_rating_check",
        "missing",
        "",
    ),
    ("drop index public.orders_status_idx", "index", "public.orders_status_idx", "missing", ""),
    (
        "alter type public.order_status add value 'lost'",
        "enum",
        "public.order_status",
        "changed",
        "+lost",
    ),
    (
        "create or replace function private.is_admin() returns boolean language sql stable "
        "security definer set search_path = '' as 'select true'",
        "function",
        "private.is_admin()",
        "changed",
        "definition",
    ),
    (
        "alter table public.orders disable trigger check_order_transition",
        "trigger",
        "public.orders.check_order_transition",
        "changed",
        "enabled",
    ),
    (
        "alter policy orders_select on public.orders using (true)",
        "policy",
        "public.orders.orders_select",
        "changed",
        "using",
    ),
    (
        "drop policy reviews_select on public.reviews",
        "policy",
        "public.reviews.reviews_select",
        "missing",
        "",
    ),
    (
        "alter table public.payments disable row level security",
        "table",
        "public.payments",
        "changed",
        "rls_enabled",
    ),
    (
        "grant select on public.system_config to anon",
        "table",
        "public.system_config",
        "changed",
        "+anon/select",
    ),
    (
        "grant update (amount) on public.payments to authenticated",
        "column",
        "public.payments.amount",
        "changed",
        "+authenticated/update",
    ),
    (
        "grant execute on function private.order_transition_allowed("
        "public.order_status, public.order_status) to anon",
        "function",
        "private.order_transition_allowed(from_status order_status, to_status order_status)",
        "changed",
        "+anon",
    ),
    (
        "alter publication supabase_realtime drop table public.reviews",
        "publication",
        "supabase_realtime",
        "changed",
        "-public.reviews",
    ),
    (
        "alter table public.orders replica identity default",
        "table",
        "public.orders",
        "changed",
        "replica_identity",
    ),
    ("create table public.scratch (id int)", "table", "public.scratch", "unexpected", ""),
]


def test_a_database_at_head_has_no_drift(db_url: str) -> None:
    result = check(db_url)
    assert result.status.state == "at head"
    assert result.status.pending == ()
    assert result.differences == []


@pytest.mark.parametrize(
    ("statement", "kind", "obj", "change", "detail"), PLANTED, ids=[p[0][:40] for p in PLANTED]
)
def test_planted_drift_is_reported(
    db_url: str, statement: str, kind: str, obj: str, change: str, detail: str
) -> None:
    expected = introspect(db_url)
    query(db_url, statement)
    found = [d for d in compare(expected, introspect(db_url)) if (d.kind, d.object) == (kind, obj)]
    assert [d.change for d in found] == [change], compare(expected, introspect(db_url))
    assert detail in found[0].detail


def test_every_kind_of_drift_is_planted() -> None:
    kinds = {p[1] for p in PLANTED}
    assert kinds >= {"column", "constraint", "index", "enum", "function", "trigger"}
    assert kinds >= {"policy", "table", "publication"}


def test_a_database_behind_is_compared_at_its_own_revision(compat_db_url: str) -> None:
    migrations.upgrade(compat_db_url, "0009")
    result = check(compat_db_url)
    assert result.status.state == "behind"
    after = [i.revision for i in reversed(migrations.history())]
    assert result.status.pending == tuple(after[after.index("0009") + 1 :])
    assert result.differences == []  # no RLS yet is what 0009 builds


def test_an_unknown_revision_cannot_be_checked(db_url: str) -> None:
    query(db_url, "update public.alembic_version set version_num = 'f00d'")
    with pytest.raises(RevisionError, match="f00d, which this checkout does not have"):
        revision_status(db_url)


def test_cli_reports_drift_and_exits_10(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    query(db_url, "alter policy orders_select on public.orders using (true)")
    result = run_cli(capsys, "-d", db_url, "check")
    assert result.code == 10
    assert f"revision: {migrations.heads()[0].revision} (at head)" in result.out
    assert "orders_select" in result.out and "drift: 1 differences" in result.out
    as_json = run_cli(capsys, "-d", db_url, "check", "--json")
    assert as_json.code == 10
    report = json.loads(as_json.out)
    assert report["revision"]["state"] == "at head"
    assert [(d["kind"], d["change"]) for d in report["drift"]] == [("policy", "changed")]


def test_cli_behind_head_exits_11(compat_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """CI's question "is this database migrated?" gets no: behind is not a pass."""
    migrations.upgrade(compat_db_url, "0009")
    result = run_cli(capsys, "-d", compat_db_url, "check")
    assert result.code == 11
    assert (
        "no drift" in result.out and "the database is behind: run `zora-db upgrade`" in result.err
    )


def test_cli_clean_database_exits_0(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "-d", db_url, "check")
    assert result.code == 0, result.err
    assert "no drift" in result.out


def test_cli_unknown_revision_exits_5(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    query(db_url, "update public.alembic_version set version_num = 'f00d'")
    result = run_cli(capsys, "-d", db_url, "check")
    assert result.code == 5
    assert "update your checkout" in result.err and "Traceback" not in result.err


def test_check_is_read_only(db_url: str, extra_migrations: Callable[[str, str], Path]) -> None:
    before = introspect(db_url)
    check(db_url)
    assert compare(before, introspect(db_url)) == []
