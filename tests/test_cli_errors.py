"""Bad input: one line saying what is wrong and what to do, a documented code, no traceback."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cli import process_cli, run_cli, spawn_cli
from tests.conftest import as_superuser, query, scalar
from zora_db import migrations
from zora_db.ports import free_port
from zora_db.throwaway import Throwaway
from zora_db.urls import param, with_params


def _one_line_no_traceback(err: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert [ln for ln in lines if ln.startswith("error:")] == lines[-1:], err


def test_no_url_is_exit_3_naming_the_options() -> None:
    result = process_cli("upgrade", env={"ZORA_DATABASE_URL": "", "DATABASE_URL": ""})
    assert result.code == 3
    _one_line_no_traceback(result.err)
    assert "--database-url" in result.err and "zora-db dev" in result.err


def test_malformed_url_is_exit_3() -> None:
    result = process_cli("current", "-d", "postgresql://u:p@host:port/db")
    assert result.code == 3
    _one_line_no_traceback(result.err)
    assert "the port 'port', not a number" in result.err


def test_unreachable_server_is_exit_4() -> None:
    result = process_cli("upgrade", "-d", f"postgresql://u:p@127.0.0.1:{free_port()}/db")
    assert result.code == 4
    _one_line_no_traceback(result.err)
    assert (
        "Connection refused" in result.err
        and "accepting TCP/IP" not in result.err
        and "is the server running" in result.err
    )


def test_unknown_host_is_exit_4() -> None:
    result = process_cli("current", "-d", "postgresql://u:p@no-such-host.invalid:5432/db")
    assert result.code == 4
    _one_line_no_traceback(result.err)
    assert "host name" in result.err


def test_wrong_password_is_exit_4_and_never_echoes_it(db_url: str) -> None:
    query(db_url, "create role zora_login login password 'right-secret'")
    try:
        wrong = with_params(db_url, user="zora_login", password="wrong-secret")
        result = process_cli("upgrade", "-d", wrong)
    finally:
        query(db_url, "drop role zora_login")
    assert result.code == 4
    _one_line_no_traceback(result.err)
    assert "password authentication failed" in result.err
    assert "wrong-secret" not in result.err


def test_missing_database_is_exit_4(db_url: str) -> None:
    missing = with_params(db_url, dbname="no_such_db")
    result = process_cli("current", "-d", missing)
    assert result.code == 4
    _one_line_no_traceback(result.err)
    assert "database name" in result.err


def test_missing_compat_layer_is_exit_6_without_traceback(vanilla_db_url: str) -> None:
    result = process_cli("upgrade", "-d", vanilla_db_url)
    assert result.code == 6
    _one_line_no_traceback(result.err)
    assert scalar(vanilla_db_url, "select to_regclass('public.alembic_version')") is None


def test_verbose_shows_the_traceback(vanilla_db_url: str) -> None:
    result = process_cli("-v", "upgrade", "-d", vanilla_db_url)
    assert result.code == 6
    assert "Traceback" in result.err and "CompatLayerMissing" in result.err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "frobnicate")
    assert result.code == 2
    assert "No such command" in result.err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--version")
    assert result.code == 0
    assert result.out.startswith("zora-db ")


def test_help_teaches_the_url_resolution(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--help")
    assert result.code == 0
    assert "ZORA_DATABASE_URL" in result.out and "upgrade" in result.out


def test_bootstrap_command(vanilla_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "bootstrap", "-d", vanilla_db_url)
    assert result.code == 0, result.err
    assert "installed" in result.err
    assert scalar(vanilla_db_url, "select to_regprocedure('auth.uid()') is not null") is True
    assert run_cli(capsys, "upgrade", "-d", vanilla_db_url).code == 0


# --------------------------------------------------------------------------- every user error


def test_seed_without_the_layer_is_6_and_before_head_is_5(
    vanilla_db_url: str, compat_db_url: str
) -> None:
    vanilla = process_cli("seed", "-d", vanilla_db_url)
    assert vanilla.code == 6 and "compatibility layer" in vanilla.err
    _one_line_no_traceback(vanilla.err)
    unmigrated = process_cli("seed", "-d", compat_db_url)
    assert unmigrated.code == 5 and "run `zora-db upgrade` first" in unmigrated.err
    _one_line_no_traceback(unmigrated.err)
    assert scalar(compat_db_url, "select count(*) from auth.users") == 0  # nothing half-done


@pytest.fixture
def weak_role(server: Throwaway, db_url: str) -> Iterator[str]:
    """A login role with no privileges on the schema: a URL that logs in as it."""
    superuser = as_superuser(server, db_url)
    query(superuser, "create role zora_weak login password 'weak'")
    yield with_params(db_url, user="zora_weak", password="weak")
    query(superuser, "drop owned by zora_weak; drop role zora_weak")


def test_a_role_without_privileges_is_13(
    weak_role: str, compat_db_url: str, vanilla_db_url: str
) -> None:
    for command, database in (("upgrade", compat_db_url), ("bootstrap", vanilla_db_url)):
        url = with_params(weak_role, dbname=param(database, "dbname") or "")
        result = process_cli(command, "-d", url)
        assert result.code == 13, (command, result.err)
        assert "the database role may not do this" in result.err
        _one_line_no_traceback(result.err)


def test_gen_types_out_that_cannot_be_a_file_is_3(db_url: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = process_cli("gen-types", "-d", db_url, "-l", "typescript", "-o", f"{blocker}/x.ts")
    assert (
        result.code == 3 and "cannot write" in result.err and "choose another --out" in result.err
    )
    _one_line_no_traceback(result.err)


def test_downgrade_minus_one_as_the_readme_shows(db_url: str) -> None:
    before = scalar(db_url, "select version_num from public.alembic_version")
    result = process_cli("downgrade", "-1", "--yes", "-d", db_url)
    assert result.code == 0, result.err
    after = scalar(db_url, "select version_num from public.alembic_version")
    assert after != before and after == f"{int(str(before)) - 1:04d}"


def test_verbose_works_after_the_command(vanilla_db_url: str) -> None:
    result = process_cli("upgrade", "-d", vanilla_db_url, "-v")
    assert result.code == 6 and "Traceback" in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("gen-types", "--lang", "cobol"), "invalid --lang: 'cobol' is not one of"),
        (("lint", "--fail-on", "fatal"), "invalid --fail-on"),
    ],
)
def test_a_bad_option_value_is_3(args: tuple[str, ...], message: str) -> None:
    result = process_cli(*args)
    assert result.code == 3 and message in result.err
    _one_line_no_traceback(result.err)


def test_a_bad_url_parameter_is_3_not_a_connection_failure(db_url: str) -> None:
    result = process_cli("current", "-d", with_params(db_url, sslmode="bogus"))
    assert result.code == 3 and 'invalid sslmode value: "bogus"' in result.err
    _one_line_no_traceback(result.err)


def test_help_shows_no_placeholder_for_flags(capsys: pytest.CaptureFixture[str]) -> None:
    shown = run_cli(capsys, "gen-types", "--help")
    assert "--check" in shown.out and "<bool>" not in shown.out


def test_ctrl_c_says_so_and_exits_130(db_url: str) -> None:
    """Interrupted while waiting for another runner's lock: a message, not silence."""
    with psycopg.connect(db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", [migrations.LOCK_KEY])
        proc = spawn_cli("upgrade", "-d", db_url)
        assert proc.stderr is not None
        line = ""
        while "waiting" not in line:
            line = proc.stderr.readline()
            assert line, "the run ended before waiting for the lock"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err


def test_a_failed_migration_names_itself_and_the_remedy(
    db_url: str, extra_migrations: Callable[[str, str], Path]
) -> None:
    config = extra_migrations("t9", "alter table public.orders add column late text")
    with psycopg.connect(db_url) as blocker:
        blocker.execute("lock table public.orders in access share mode")  # held open
        result = process_cli("-c", str(config), "upgrade", "-d", db_url, "--lock-timeout", "200ms")
    assert result.code == 7
    assert "migration t9 failed" in result.err and "SQLSTATE 55P03" in result.err
    assert "--lock-timeout" in result.err.split(";")[-1]  # the remedy for a lock wait
    _one_line_no_traceback(result.err)
