"""The persistent development database: start, status, url, stop, reset."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cli import run_cli
from tests.conftest import query, scalar
from zora_db.devdb import DevCluster
from zora_db.migrations import heads
from zora_db.throwaway.local import free_port

HEAD = heads()[0].revision


@pytest.fixture
def dev_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Not tmp_path: the server's OS user must be able to reach the directory.
    directory = Path(tempfile.mkdtemp(prefix="zora-dev-test-"))
    directory.chmod(0o755)
    monkeypatch.setenv("ZORA_DEV_DIR", str(directory / "dev"))
    monkeypatch.setenv("ZORA_DEV_PORT", str(free_port()))
    yield directory / "dev"
    DevCluster().stop()
    shutil.rmtree(directory, ignore_errors=True)


def test_dev_lifecycle(dev_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = run_cli(capsys, "dev", "status")
    assert status.code == 1 and "not created" in status.out

    assert run_cli(capsys, "dev", "start").code == 0
    url = run_cli(capsys, "dev", "url").out.strip()
    assert scalar(url, "select current_database()") == "zora"
    assert scalar(url, "select to_regprocedure('auth.uid()') is not null") is True
    assert (dev_dir / "pgdata" / "PG_VERSION").is_file()

    assert run_cli(capsys, "--database-url", url, "upgrade").code == 0
    query(url, "create table public.keep_me (id int)")
    status = run_cli(capsys, "dev", "status")
    assert status.code == 0
    assert "running" in status.out and f"revision:    {HEAD}" in status.out
    assert "keep_me" in status.out and "public.orders" in status.out

    assert run_cli(capsys, "dev", "start").code == 0  # already running: fine
    assert run_cli(capsys, "dev", "stop").code == 0
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    stopped = run_cli(capsys, "dev", "status")
    assert stopped.code == 1 and "stopped" in stopped.out

    assert run_cli(capsys, "dev", "start").code == 0  # data survives a restart
    assert run_cli(capsys, "dev", "url").out.strip() == url
    assert scalar(url, "select to_regclass('public.keep_me')::text") == "keep_me"

    refused = run_cli(capsys, "dev", "reset")  # not a terminal: needs --yes
    assert refused.code == 3
    assert scalar(url, "select to_regclass('public.keep_me')::text") == "keep_me"

    assert run_cli(capsys, "dev", "reset", "--yes").code == 0
    new_url = run_cli(capsys, "dev", "url").out.strip()
    assert scalar(new_url, "select to_regclass('public.keep_me')") is None
    assert scalar(new_url, "select to_regprocedure('auth.uid()') is not null") is True


def test_dev_url_before_start_says_what_to_do(
    dev_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "dev", "url")
    assert result.code == 3
    assert "zora-db dev start" in result.err


def test_stop_when_not_running(dev_dir: Path) -> None:
    assert DevCluster().stop() is False
