"""The migrations as a whole: base → head → base → head, offline SQL, the demo data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.conftest import query, scalar
from zora_db import migrations
from zora_db.seed import seed
from zora_db.throwaway.binaries import find_binaries


def _pg_dump() -> Path | None:
    """A pg_dump that can read this server: its own major (pg_dump refuses newer servers)."""
    binaries = find_binaries()
    for candidate in (
        Path(binaries / "pg_dump"),
        Path(f"/usr/lib/postgresql/{binaries.major}/bin/pg_dump"),
    ):
        if candidate.exists():
            return candidate
    return None


def _schema_dump(url: str) -> str:
    """Everything pg_dump knows about the schema, owners and grants included."""
    pg_dump = _pg_dump()
    if pg_dump is None:
        pytest.skip(
            f"no pg_dump for PostgreSQL {find_binaries().major} here (the npm build has no "
            "client tools, and an older pg_dump refuses a newer server); these run on 15, and "
            "pytest-alembic's up/down consistency test walks every step on this major"
        )
    result = subprocess.run(
        [pg_dump, "--schema-only", "--exclude-schema=auth", url],
        capture_output=True,
        text=True,
        check=True,
    )
    # Newer pg_dump brackets its output with a random \restrict key: not schema.
    return "\n".join(
        line
        for line in result.stdout.splitlines()
        if not line.startswith(("\\restrict", "\\unrestrict"))
    )


def _our_objects(url: str) -> list[tuple[object, ...]]:
    """What the migrations create, wherever it lives (empty at base)."""
    return query(
        url,
        """
        select 'relation', relname::text from pg_class
          where relnamespace = 'public'::regnamespace and relname <> 'alembic_version'
            and relname not like 'alembic_version%%'
        union all select 'type', typname::text from pg_type
          where typnamespace = 'public'::regnamespace and typname not like '%%alembic%%'
            and typrelid = 0
        union all select 'function', oid::regprocedure::text from pg_proc
          where pronamespace = 'public'::regnamespace
        union all select 'schema', nspname::text from pg_namespace where nspname = 'private'
        union all select 'extension', extname::text from pg_extension where extname = 'cube'
        union all select 'trigger', tgname::text from pg_trigger
          where tgrelid = 'auth.users'::regclass and not tgisinternal
        union all select 'published', tablename::text from pg_publication_tables
          where pubname = 'supabase_realtime'
    """,
    )


def test_round_trip_base_head_base_head(compat_db_url: str) -> None:
    assert _our_objects(compat_db_url) == []
    migrations.upgrade(compat_db_url)
    first = _schema_dump(compat_db_url)
    assert "CREATE TABLE public.orders" in first
    assert len(_our_objects(compat_db_url)) > 50  # the check below can see our objects
    migrations.downgrade(compat_db_url, "base")
    assert _our_objects(compat_db_url) == []
    assert migrations.current(compat_db_url) == ()
    migrations.upgrade(compat_db_url)
    assert _schema_dump(compat_db_url) == first


def test_each_step_down_and_up_again_is_identical(compat_db_url: str) -> None:
    migrations.upgrade(compat_db_url)
    head = _schema_dump(compat_db_url)
    for info in migrations.history()[:-1]:  # every revision but the first
        migrations.downgrade(compat_db_url, "-1")
        migrations.upgrade(compat_db_url)
        assert _schema_dump(compat_db_url) == head, f"{info.revision} does not round-trip"


def test_offline_sql_applies_with_psql_and_builds_the_same_schema(
    compat_db_url: str, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "upgrade", "--sql")
    assert result.code == 0
    script = tmp_path / "upgrade.sql"
    script.write_text(result.out)
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), compat_db_url],
        check=True,
        capture_output=True,
        text=True,
    )
    assert _schema_dump(compat_db_url) == _schema_dump(db_url)


def test_seed_is_idempotent_and_goes_through_the_rules(db_url: str) -> None:
    first = seed(db_url)
    assert first.created
    counts = first.counts
    assert counts["vendors"] >= 2 and counts["orders"] >= 4 and counts["messages"] >= 2
    again = seed(db_url)
    assert not again.created and again.counts == counts
    # Every customer has both a pending and a delivered order.
    assert query(
        db_url,
        """
        select p.email, array_agg(distinct o.status::text order by o.status::text)
                         @> array['delivered', 'pending']
        from public.profiles p join public.orders o on o.user_id = p.id
        where p.role = 'customer' group by p.email order by 1
    """,
    ) == [("alice@zora.test", True), ("bob@zora.test", True), ("chloe@zora.test", True)]
    # The triggers ran: notifications, history and ratings exist without being inserted.
    assert (
        scalar(db_url, "select count(*) from public.notifications where type = 'order'")
        == (counts["orders"])
    )
    assert scalar(db_url, "select count(*) from public.order_status_history") > counts["orders"]
    assert scalar(db_url, "select sum(review_count) from public.vendors") == counts["reviews"]
    assert (
        scalar(
            db_url,
            "select bool_and(total = subtotal + delivery_fee and subtotal > 0) from public.orders",
        )
        is True
    )
    assert scalar(db_url, "select count(*) from public.profiles where role = 'admin'") == 1


def test_seed_command(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = run_cli(capsys, "seed", "-d", db_url)
    assert first.code == 0 and first.err.startswith("seeded: ")
    again = run_cli(capsys, "seed", "-d", db_url)
    assert again.code == 0 and "already seeded" in again.err
