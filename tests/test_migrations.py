"""Alembic wiring: upgrade, downgrade, the lock, the timeouts and every failure mode."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.cli import process_cli, run_cli, spawn_cli
from tests.conftest import PROJECT_ROOT, query, scalar
from tests.waiting import until
from zora_db import migrations

HEAD = migrations.heads()[0].revision
AddMigration = Callable[..., Path]


def _version(url: str) -> list[str]:
    if not scalar(url, "select to_regclass('public.alembic_version') is not null"):
        return []
    return [r[0] for r in query(url, "select version_num from alembic_version")]  # type: ignore[misc]


def _public_snapshot(url: str) -> list[tuple[object, ...]]:
    """Every relation, schema and function we could have touched."""
    return query(
        url,
        "select 'rel', relname::text from pg_class where relnamespace = 'public'::regnamespace "
        "union all select 'schema', nspname::text from pg_namespace "
        "union all select 'proc', oid::regprocedure::text from pg_proc "
        "where pronamespace not in ('pg_catalog'::regnamespace, "
        "'information_schema'::regnamespace) order by 1, 2",
    )


# --------------------------------------------------------------------------- happy paths


def test_upgrade_to_head_then_nothing_to_do(
    compat_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli(capsys, "upgrade", "--database-url", compat_db_url)
    assert first.code == 0, first.err
    assert _version(compat_db_url) == [HEAD]
    assert scalar(compat_db_url, "select to_regnamespace('private') is not null") is True
    assert "applied 0001" in first.err

    again = run_cli(capsys, "upgrade", "--database-url", compat_db_url)
    assert again.code == 0
    assert "nothing to do" in again.err
    assert _version(compat_db_url) == [HEAD]


def test_downgrade_to_base_removes_everything(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "downgrade", "base", "--yes", "--database-url", db_url)
    assert result.code == 0, result.err
    assert _version(db_url) == []
    assert scalar(db_url, "select to_regnamespace('private')") is None


def test_downgrade_refuses_without_confirmation_when_not_interactive(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "downgrade", "base", "--database-url", db_url)
    assert result.code == 3
    assert "--yes" in result.err
    assert _version(db_url) == [HEAD]


def test_current_history_heads(
    db_url: str, compat_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "current", "-d", db_url).out.strip() == f"{HEAD} (head)"
    assert run_cli(capsys, "current", "-d", compat_db_url).out.strip() == "base"
    history = run_cli(capsys, "history").out
    assert "base -> 0001" in history and "(head)" in history
    assert run_cli(capsys, "heads").out.startswith(f"{HEAD}: ")


def test_global_database_url_option(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "--database-url", db_url, "current").out.strip() == f"{HEAD} (head)"


def test_stamp_records_without_running(
    compat_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "stamp", HEAD, "-d", compat_db_url)
    assert result.code == 0, result.err
    assert _version(compat_db_url) == [HEAD]
    assert scalar(compat_db_url, "select to_regnamespace('private')") is None


def test_offline_sql_has_timeouts_and_a_transaction_per_migration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_cli(capsys, "upgrade", "--sql", "--lock-timeout", "2s")
    assert result.code == 0, result.err
    sql = result.out
    assert "SET lock_timeout = '2s'" in sql
    assert "SET statement_timeout = '15min'" in sql
    assert sql.count("BEGIN;") == sql.count("COMMIT;") == len(migrations.history())
    assert "create schema private" in sql


def test_plain_alembic_cli_uses_the_same_wiring(compat_db_url: str) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "alembic"),
            "-c",
            str(PROJECT_ROOT / "alembic.ini"),
            "-x",
            "lock_timeout=3s",
            "upgrade",
            "head",
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": compat_db_url},
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert _version(compat_db_url) == [HEAD]


def test_new_revision_is_numbered_after_head(
    tmp_path: Path, extra_migrations: AddMigration, capsys: pytest.CaptureFixture[str]
) -> None:
    config = extra_migrations("9001", "select 1")
    result = run_cli(capsys, "--config", str(config), "revision", "-m", "add widgets")
    assert result.code == 0, result.err
    path = Path(result.out.strip())
    assert path.name == "9002_add_widgets.py"
    text = path.read_text()
    assert 'down_revision: str | Sequence[str] | None = "9001"' in text  # ruff-format style
    assert "def upgrade() -> None:" in text


def test_alembic_own_revision_command_fills_our_template(tmp_path: Path) -> None:
    """The template's autogenerate summary is optional: plain `alembic revision` still works."""
    from alembic import command
    from tests.conftest import history_config

    config, versions = history_config(tmp_path)
    cfg = migrations.alembic_config(config_path=config)
    command.revision(cfg, "by hand", rev_id="9100", version_path=str(versions))
    (path,) = versions.glob("9100_*.py")
    text = path.read_text()
    assert text.startswith('"""by hand\n\nRevision ID: 9100\n')
    assert migrations.history(config_path=config)[0].message == "by hand"


def test_empty_revision_message_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "revision", "-m", "  ")
    assert result.code == 3


# --------------------------------------------------------------------------- failures


def test_upgrade_without_compat_layer_says_run_bootstrap_and_changes_nothing(
    vanilla_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _public_snapshot(vanilla_db_url)
    result = run_cli(capsys, "upgrade", "-d", vanilla_db_url)
    assert result.code == 6
    assert "zora-db bootstrap" in result.err
    assert _public_snapshot(vanilla_db_url) == before


def test_unknown_target_revision(compat_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _public_snapshot(compat_db_url)
    result = run_cli(capsys, "upgrade", "nosuchrev", "-d", compat_db_url)
    assert result.code == 5
    assert "nosuchrev" in result.err and "zora-db history" in result.err
    assert _public_snapshot(compat_db_url) == before


def test_database_stamped_with_an_unknown_revision(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    query(db_url, "update alembic_version set version_num = 'f00dcafe'")
    before = _public_snapshot(db_url)
    result = run_cli(capsys, "upgrade", "-d", db_url)
    assert result.code == 5
    assert "f00dcafe" in result.err and "does not know" in result.err
    assert _public_snapshot(db_url) == before
    assert _version(db_url) == ["f00dcafe"]


def test_failing_migration_is_rolled_back_and_a_rerun_completes(
    db_url: str, extra_migrations: AddMigration, capsys: pytest.CaptureFixture[str]
) -> None:
    extra_migrations("9001", "create table public.widgets (id int primary key)")
    config = extra_migrations(
        "9002",
        "create table public.gadgets (id int); select 1 / (select count(*) from public.widgets)",
    )
    result = run_cli(capsys, "--config", str(config), "upgrade", "-d", db_url)
    assert result.code == 7
    assert "division by zero" in result.err and "22012" in result.err
    assert "at revision 9001" in result.err
    assert _version(db_url) == ["9001"]  # 9001 committed, 9002 rolled back whole
    assert scalar(db_url, "select to_regclass('public.gadgets')") is None

    query(db_url, "insert into public.widgets values (1)")  # fix what it tripped over
    rerun = run_cli(capsys, "--config", str(config), "upgrade", "-d", db_url)
    assert rerun.code == 0, rerun.err
    assert _version(db_url) == ["9002"]
    assert scalar(db_url, "select to_regclass('public.gadgets')::text") == "gadgets"


def test_lock_timeout_stops_a_migration_queued_behind_a_busy_table(
    db_url: str, extra_migrations: AddMigration, capsys: pytest.CaptureFixture[str]
) -> None:
    query(db_url, "create table public.busy (id int)")
    config = extra_migrations("9001", "alter table public.busy add column note text")
    with psycopg.connect(db_url) as holder:
        holder.execute("lock table public.busy in access share mode")  # a long reader
        # No retry here: this is the timeout itself (test_lock_retries has the retries).
        options = ("--lock-timeout", "200ms", "--lock-retries", "0")
        result = run_cli(capsys, "--config", str(config), "upgrade", "-d", db_url, *options)
    assert result.code == 7
    # 55P03: the server gave up on the lock (lock_timeout), while the holder still held it.
    assert "lock timeout" in result.err and "55P03" in result.err
    assert _version(db_url) == [HEAD]
    assert (
        scalar(
            db_url,
            "select count(*) from information_schema.columns "
            "where table_name = 'busy' and column_name = 'note'",
        )
        == 0
    )


def test_statement_timeout_applies_to_migrations(
    db_url: str, extra_migrations: AddMigration, capsys: pytest.CaptureFixture[str]
) -> None:
    config = extra_migrations("9001", "select pg_sleep(5)")
    result = run_cli(
        capsys, "--config", str(config), "upgrade", "-d", db_url, "--statement-timeout", "100ms"
    )
    assert result.code == 7
    assert "statement timeout" in result.err and "57014" in result.err
    assert _version(db_url) == [HEAD]


def test_bad_timeout_value_is_a_usage_error(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "upgrade", "-d", db_url, "--lock-timeout", "soon")
    assert result.code == 3
    assert "lock_timeout" in result.err


# --------------------------------------------------------------------------- concurrency


GATE = 424242  # an advisory lock the test holds to keep a migration mid-flight


def _running(*runners: subprocess.Popen[str]) -> None:
    """Each runner still runs; if one ended, fail with what it said."""
    ended = [r.communicate() for r in runners if r.poll() is not None]
    assert not ended, ended


def _advisory_waiters(url: str) -> int:
    return int(
        scalar(url, "select count(*) from pg_locks where locktype = 'advisory' and not granted")
        or 0
    )


def test_concurrent_upgrades_apply_each_migration_exactly_once(
    compat_db_url: str, extra_migrations: AddMigration
) -> None:
    # 9001 is not idempotent (applied twice, CREATE TABLE fails) and waits at a
    # gate the test holds, so the two runners overlap for certain.
    config = extra_migrations(
        "9001",
        "create table public.applied_once (at timestamptz default now()); "
        f"select pg_advisory_xact_lock({GATE}); "
        "insert into public.applied_once default values",
    )
    env = {"DATABASE_URL": compat_db_url, "ZORA_DB_CONFIG": str(config)}
    with psycopg.connect(compat_db_url, autocommit=True) as gate:
        gate.execute("select pg_advisory_lock(%s)", [GATE])
        runners = [spawn_cli("upgrade", "--lock-timeout", "60s", env=env) for _ in range(2)]
        # One runner waits at the gate inside 9001, the other for the migration lock.
        until(
            lambda: _advisory_waiters(compat_db_url) == 2,
            "one runner at the gate, the other at the migration lock",
            meanwhile=lambda: _running(*runners),
        )
        gate.execute("select pg_advisory_unlock(%s)", [GATE])
    outputs = [r.communicate(timeout=60) for r in runners]
    assert [r.returncode for r in runners] == [0, 0], outputs
    errs = [err for _, err in outputs]
    assert sum("applied 9001" in e for e in errs) == 1, errs
    assert sum("waiting" in e and "nothing to do" in e for e in errs) == 1, errs
    assert _version(compat_db_url) == ["9001"]
    assert scalar(compat_db_url, "select count(*) from public.applied_once") == 1


def test_lock_wait_gives_up_after_wait_timeout(
    db_url: str, extra_migrations: AddMigration, capsys: pytest.CaptureFixture[str]
) -> None:
    config = extra_migrations("9001", "create table public.never (id int)")
    with psycopg.connect(db_url) as other_runner:
        other_runner.execute("select pg_advisory_lock(%s)", [migrations.LOCK_KEY])
        result = run_cli(
            capsys, "--config", str(config), "upgrade", "-d", db_url, "--wait", "300ms"
        )
    assert result.code == 7
    assert "another migration run" in result.err
    assert scalar(db_url, "select to_regclass('public.never')") is None


def test_the_lock_is_released_after_a_run(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "upgrade", "-d", db_url).code == 0
    assert scalar(db_url, "select pg_try_advisory_lock(%s)", [migrations.LOCK_KEY]) is True


def _migration_lock_holders(url: str) -> int:
    key = migrations.LOCK_KEY & (2**64 - 1)  # pg_locks shows a bigint key as two oids
    return int(
        scalar(
            url,
            "select count(*) from pg_locks where locktype = 'advisory' "
            "and granted and objsubid = 1 and classid = %s and objid = %s",
            [key >> 32, key & 0xFFFFFFFF],
        )
        or 0
    )


def test_a_run_in_progress_holds_the_lock(
    compat_db_url: str, extra_migrations: AddMigration
) -> None:
    config = extra_migrations("9001", f"select pg_advisory_xact_lock({GATE})")
    env = {"DATABASE_URL": compat_db_url, "ZORA_DB_CONFIG": str(config)}
    with psycopg.connect(compat_db_url, autocommit=True) as gate:
        gate.execute("select pg_advisory_lock(%s)", [GATE])
        assert _migration_lock_holders(compat_db_url) == 0
        runner = spawn_cli("upgrade", "--lock-timeout", "60s", env=env)
        until(
            lambda: _advisory_waiters(compat_db_url) == 1,
            "the runner at the gate, inside 9001",
            meanwhile=lambda: _running(runner),
        )
        assert _migration_lock_holders(compat_db_url) == 1  # held while 9001 runs
        gate.execute("select pg_advisory_unlock(%s)", [GATE])
    runner.communicate(timeout=60)
    assert runner.returncode == 0
    assert _migration_lock_holders(compat_db_url) == 0  # and released after


def test_process_cli_smoke(db_url: str) -> None:
    result = process_cli("current", "-d", db_url)
    assert result.code == 0 and result.out.strip() == f"{HEAD} (head)"


def test_a_killed_upgrade_leaves_a_consistent_revision_and_a_rerun_completes(
    db_url: str, extra_migrations: AddMigration
) -> None:
    """SIGKILL in the middle of a migration: nothing of it stays, the lock is freed."""
    head = migrations.heads()[0].revision
    config = extra_migrations(
        "9101",
        "create table public.half_done (id int); "
        f"select pg_advisory_xact_lock({GATE}); "
        "insert into public.half_done values (1)",
    )
    env = {"DATABASE_URL": db_url, "ZORA_DB_CONFIG": str(config)}
    with psycopg.connect(db_url, autocommit=True) as gate:
        gate.execute("select pg_advisory_lock(%s)", [GATE])
        runner = spawn_cli("upgrade", env=env)
        until(
            lambda: _advisory_waiters(db_url) == 1,
            "the migration at the gate, inside 9101, its table created",
            meanwhile=lambda: _running(runner),
        )
        runner.kill()
        runner.communicate(timeout=10)
        # The orphaned backend notices its client is gone, rolls back and lets go
        # while the gate is still held: without client_connection_check_interval it
        # would wait on the gate for ever.
        until(lambda: _advisory_waiters(db_url) == 0, "the dead runner's backend letting go")
        assert _version(db_url) == [head]
        assert scalar(db_url, "select to_regclass('public.half_done')::text") is None
        gate.execute("select pg_advisory_unlock(%s)", [GATE])
    rerun = process_cli("upgrade", env=env)
    assert rerun.code == 0, rerun.err
    assert _version(db_url) == ["9101"]
    assert scalar(db_url, "select count(*) from public.half_done") == 1
