"""A migration that gives up on a lock is rolled back and retried, naming the lock and its holder.

The lock is held where Supabase's own sessions hold it: on auth.users, which
a policy statement by the non-superuser owner locks whatever table it names
(supautils, as projects still run it; the layer emulates it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.cli import spawn_cli
from tests.conftest import scalar
from zora_db.lockwait import backoff

AddMigration = Callable[..., Path]
POLICY = "create policy lock_probe on public.categories for select to anon using (true)"
HAS_POLICY = "select count(*) from pg_policies where policyname = 'lock_probe'"


@contextmanager
def gotrue_reading_users(url: str) -> Iterator[psycopg.Connection]:
    """A session like Supabase Auth's, in a transaction that has read auth.users."""
    with psycopg.connect(url, application_name="gotrue") as conn:
        conn.execute("select count(*) from auth.users")
        yield conn


def _upgrade(config: Path, url: str, *options: str) -> tuple[int, str]:
    proc = spawn_cli("-c", str(config), "-d", url, "upgrade", "--lock-timeout", "1s", *options)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def test_a_retry_succeeds_once_the_holder_lets_go(
    db_url: str, extra_migrations: AddMigration
) -> None:
    config = extra_migrations("9001", POLICY)
    with gotrue_reading_users(db_url) as holder:
        proc = spawn_cli(
            "-c",
            str(config),
            "-d",
            db_url,
            "upgrade",
            "--lock-timeout",
            "1s",
            "--lock-retries",
            "5",
        )
        assert proc.stderr is not None
        told = ""
        while "retry 1 of 5" not in told:
            line = proc.stderr.readline()
            assert line, f"no retry was announced: {told}"
            told += line
        holder.commit()  # Auth's transaction ends: the next try gets the lock
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, told + out + err
    assert "AccessExclusiveLock on auth.users" in told
    assert "application 'gotrue'" in told and "idle in transaction" in told
    assert scalar(db_url, HAS_POLICY) == 1


def test_it_gives_up_with_exit_7_naming_the_holder(
    db_url: str, extra_migrations: AddMigration
) -> None:
    config = extra_migrations("9001", POLICY)
    with gotrue_reading_users(db_url):
        code, told = _upgrade(config, db_url, "--lock-retries", "1")
    assert code == 7, told
    assert "retry 1 of 1" in told
    assert "migration 9001 failed 2 times: canceling statement due to lock timeout" in told
    assert "AccessExclusiveLock on auth.users" in told and "application 'gotrue'" in told
    assert "Traceback" not in told
    assert scalar(db_url, HAS_POLICY) == 0  # rolled back whole


def test_no_retry_when_turned_off(db_url: str, extra_migrations: AddMigration) -> None:
    config = extra_migrations("9001", POLICY)
    with gotrue_reading_users(db_url):
        code, told = _upgrade(config, db_url, "--lock-retries", "0")
    assert code == 7, told
    assert "retry" not in told and "failed 2 times" not in told
    assert "migration 9001 failed: canceling statement due to lock timeout" in told


def test_other_failures_are_not_retried(db_url: str, extra_migrations: AddMigration) -> None:
    config = extra_migrations("9001", "create policy p on public.no_such_table using (true)")
    code, told = _upgrade(config, db_url)
    assert code == 7, told
    assert "retry" not in told and "(SQLSTATE 42P01)" in told


def test_a_bad_retry_count_is_a_usage_error(db_url: str, extra_migrations: AddMigration) -> None:
    config = extra_migrations("9001", POLICY)
    code, told = _upgrade(config, db_url, "--lock-retries", "-1")
    assert code == 3, told
    assert scalar(db_url, HAS_POLICY) == 0


@pytest.mark.parametrize("attempt", [1, 2, 3, 8])
def test_backoff_doubles_with_jitter_and_a_cap(attempt: int) -> None:
    ceiling = min(30.0, 2 ** (attempt - 1))
    pauses = {backoff(attempt) for _ in range(50)}
    assert all(ceiling / 2 <= p <= ceiling for p in pauses)
    assert len(pauses) > 1  # jittered
