"""Throwaway PostgreSQL: settings, isolation, and cleanup on every way out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from tests.conftest import database_name, query, scalar
from tests.waiting import until
from zora_db.errors import BackendUnavailable, ConfigError
from zora_db.processes import alive
from zora_db.throwaway import (
    DockerServer,
    ExistingServer,
    LocalCluster,
    Throwaway,
    throwaway,
)
from zora_db.throwaway.docker import require_engine
from zora_db.throwaway.local import data_directory_template, sweep_orphans


def _gone(pid: int, what: str = "the process gone") -> None:
    until(lambda: not alive(pid), what)


# --------------------------------------------------------------------------- local


def test_local_cluster_settings_and_cleanup() -> None:
    with LocalCluster() as cluster:
        assert cluster.directory is not None and cluster.pid is not None
        directory, pid = cluster.directory, cluster.pid
        url = cluster.create_database()
        settings = dict(
            query(
                url,
                "select name, setting from pg_settings where name = any(%s)",
                [["wal_level", "fsync", "max_replication_slots", "autovacuum"]],
            )
        )
        assert settings == {
            "wal_level": "logical",
            "fsync": "off",
            "max_replication_slots": "10",
            "autovacuum": "off",
        }
        assert scalar(url, "select current_setting('listen_addresses')") == "127.0.0.1"
        # logical decoding really works, not just the setting
        with psycopg.connect(url, autocommit=True) as conn:
            # With synchronous_commit off server-wide, a commit is decodable only
            # after the WAL writer flushes; the writer asks for the flush itself.
            conn.execute("set synchronous_commit = on")
            conn.execute("select pg_create_logical_replication_slot('t', 'test_decoding')")
            conn.execute("create table t (id int primary key)")
            conn.execute("insert into t values (1)")
        changes = query(url, "select data from pg_logical_slot_get_changes('t', null, null)")
        assert any("INSERT" in str(c[0]) for c in changes)
        query(url, "select pg_drop_replication_slot('t')")
    assert not directory.exists()
    _gone(pid)


def test_server_runs_unprivileged_when_we_are_root() -> None:
    with LocalCluster() as cluster:
        assert cluster.pid is not None
        uid = os.stat(f"/proc/{cluster.pid}").st_uid
    if os.geteuid() == 0:
        assert uid != 0
    else:
        assert uid == os.geteuid()


def test_cleanup_on_exception() -> None:
    cluster = LocalCluster()
    seen: list[object] = []

    def use_and_fail() -> None:
        with cluster:
            seen.extend([cluster.directory, cluster.pid])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        use_and_fail()
    directory, pid = seen
    assert isinstance(directory, Path) and isinstance(pid, int)
    assert directory is not None and not directory.exists()
    assert pid is not None
    _gone(pid)


def test_close_twice_is_harmless() -> None:
    cluster = LocalCluster()
    cluster.start()
    cluster.close()
    cluster.close()
    assert cluster.directory is None


def _child_with_cluster() -> subprocess.Popen[str]:
    script = textwrap.dedent("""
        import time
        from zora_db.throwaway import LocalCluster
        with LocalCluster() as c:
            print(c.directory, c.pid, flush=True)
            time.sleep(120)
    """)
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)


def test_cleanup_on_ctrl_c() -> None:
    child = _child_with_cluster()
    assert child.stdout is not None
    directory, pid = child.stdout.readline().split()
    assert Path(directory).is_dir() and alive(int(pid))
    child.send_signal(signal.SIGINT)
    child.wait(timeout=20)
    _gone(int(pid))
    assert not Path(directory).exists()


def test_sigkilled_owner_leaves_no_server_and_its_directory_is_swept() -> None:
    child = _child_with_cluster()
    assert child.stdout is not None
    directory, pid = child.stdout.readline().split()
    child.kill()  # no cleanup code runs at all
    child.wait(timeout=20)
    _gone(int(pid), "the postmaster gone with its owner")
    assert Path(directory).exists()  # nobody could remove it ...
    assert Path(directory) in sweep_orphans()  # ... until the next run sweeps it
    assert not Path(directory).exists()


def test_template_is_made_once_and_reused() -> None:
    cluster = LocalCluster()
    template = data_directory_template(cluster.binaries, cluster.user)
    stamp = (template / "pgdata" / "PG_VERSION").stat().st_mtime_ns
    with cluster:
        pass
    assert data_directory_template(cluster.binaries, cluster.user) == template
    assert (template / "pgdata" / "PG_VERSION").stat().st_mtime_ns == stamp


def test_clusters_are_independent() -> None:
    with LocalCluster() as a, LocalCluster() as b:
        assert a.port != b.port
        url_a = a.create_database("same_name")
        url_b = b.create_database("same_name")
        query(url_a, "create table only_in_a (id int)")
        assert scalar(url_b, "select to_regclass('only_in_a')") is None


# --------------------------------------------------------------------------- per-test isolation


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_its_own_database(db_url: str, attempt: int) -> None:
    # Both parametrisations create the same table: only isolation lets both pass.
    query(db_url, "create table public.isolation_probe (attempt int)")
    query(db_url, "insert into public.isolation_probe values (%s)", [attempt])
    assert query(db_url, "select attempt from public.isolation_probe") == [(attempt,)]


def test_clone_has_the_migrated_schema(db_url: str) -> None:
    assert scalar(db_url, "select to_regnamespace('private') is not null") is True
    assert scalar(db_url, "select to_regprocedure('auth.uid()') is not null") is True


# --------------------------------------------------------------------------- url backend


def test_existing_server_creates_and_drops_its_databases(server: Throwaway) -> None:
    existing = ExistingServer(server.admin_url)
    with existing:
        url = existing.create_database()
        clone = existing.create_database(template=database_name(url))
        names = {database_name(url), database_name(clone)}
        present = {r[0] for r in query(server.admin_url, "select datname from pg_database")}
        assert names <= present
        with psycopg.connect(url):  # an open connection must not block the drop
            pass
        lingering = psycopg.connect(clone)
    try:
        present = {r[0] for r in query(server.admin_url, "select datname from pg_database")}
        assert not names & present
    finally:
        lingering.close()


def test_url_backend_needs_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZORA_TEST_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="ZORA_TEST_DATABASE_URL"), throwaway("url"):
        pass


# --------------------------------------------------------------------------- choice and docker


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZORA_TEST_DATABASE_URL", raising=False)
    monkeypatch.delenv("ZORA_DB_BACKEND", raising=False)
    assert isinstance(throwaway(), LocalCluster)
    monkeypatch.setenv("ZORA_TEST_DATABASE_URL", "postgresql://u:p@h/db")
    assert isinstance(throwaway(), ExistingServer)
    monkeypatch.setenv("ZORA_DB_BACKEND", "docker")
    assert isinstance(throwaway(), DockerServer)
    with pytest.raises(ConfigError, match="unknown throwaway backend"):
        throwaway("podman")


def test_docker_without_an_engine_fails_fast_naming_the_alternatives(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(BackendUnavailable) as info, throwaway("docker"):
        pass
    # Fast: refused by the engine ping, before testcontainers starts its retrying start.
    assert any(entry.name == "require_engine" for entry in info.traceback)
    message = str(info.value)
    assert "no Docker engine" in message
    assert "ZORA_DB_BACKEND=local" in message and "ZORA_DB_BACKEND=url" in message
    assert info.value.exit_code == 8


def _engine_runs() -> bool:
    try:
        require_engine()
    except BackendUnavailable:
        return False
    return True


@pytest.mark.skipif(not _engine_runs(), reason="no Docker engine runs on this machine")
def test_docker_backend_starts_a_usable_server() -> None:
    with DockerServer() as srv:
        url = srv.create_database()
        assert scalar(url, "select current_setting('wal_level')") == "logical"
