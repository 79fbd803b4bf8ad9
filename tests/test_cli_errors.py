"""Bad input: one line saying what is wrong and what to do, a documented code, no traceback."""

from __future__ import annotations

import pytest

from tests.cli import process_cli, run_cli
from tests.conftest import query, scalar
from zora_db.throwaway.local import free_port
from zora_db.urls import parse


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
    assert "not a valid PostgreSQL URL" in result.err


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
        wrong = parse(db_url).set(username="zora_login", password="wrong-secret")
        result = process_cli("upgrade", "-d", wrong.render_as_string(hide_password=False))
    finally:
        query(db_url, "drop role zora_login")
    assert result.code == 4
    _one_line_no_traceback(result.err)
    assert "password authentication failed" in result.err
    assert "wrong-secret" not in result.err


def test_missing_database_is_exit_4(db_url: str) -> None:
    missing = parse(db_url).set(database="no_such_db").render_as_string(hide_password=False)
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
