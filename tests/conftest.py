"""Fixtures: one throwaway server per session, one migrated template, a clone per test.

Per-test isolation is ``CREATE DATABASE … TEMPLATE`` from a database migrated
once, never re-running migrations for each test.
"""

from __future__ import annotations

import os
import secrets
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.processes import alive_descendants, mentioning
from tests.waiting import until
from zora_db import acting, migrations
from zora_db.compat import bootstrap
from zora_db.seed import seed
from zora_db.throwaway import Throwaway, throwaway
from zora_db.throwaway.databases import database_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPAT_TEMPLATE = "zora_tpl_compat"  # bootstrapped, not migrated
HEAD_TEMPLATE = "zora_tpl_head"  # bootstrapped and at head
SEEDED_TEMPLATE = "zora_tpl_seeded"  # at head with the demo data


@pytest.fixture(scope="session", autouse=True)
def nothing_outlives_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the last test, no process the suite started runs on: servers, APIs, clients.

    First set up, so last torn down: after every server fixture has stopped. A
    process still below pytest, or a daemon (pg_ctl's) serving a test's folder,
    fails the session with its command line.
    """
    yield
    basetemp = str(tmp_path_factory.getbasetemp())
    left = alive_descendants(os.getpid()) | mentioning(basetemp)
    assert left == {}, f"processes outlived the test session: {left}"


@pytest.fixture(scope="session")
def server() -> Iterator[Throwaway]:
    with throwaway() as srv:
        # As on Supabase: the superuser installs the layer, and everything
        # after it (migrations, data, every test's URL) is the owner role's.
        srv.create_database(COMPAT_TEMPLATE)
        bootstrap(srv.superuser_url(COMPAT_TEMPLATE))
        head_url = srv.create_database(HEAD_TEMPLATE, template=COMPAT_TEMPLATE)
        migrations.upgrade(head_url)
        seeded_url = srv.create_database(SEEDED_TEMPLATE, template=HEAD_TEMPLATE)
        seed(seeded_url)
        yield srv


def as_superuser(server: Throwaway, url: str) -> str:
    """The superuser's URL for the database ``url`` names (for what the owner may not do)."""
    return server.superuser_url(database_name(url))


def _clone(server: Throwaway, template: str | None) -> Iterator[str]:
    url = server.create_database(template=template)
    yield url
    server.drop_database(database_name(url))


@pytest.fixture
def db_url(server: Throwaway) -> Iterator[str]:
    """A database at head, with the compatibility layer: this test's alone.

    Connects as the owner role (`postgres`, not a superuser), as apps' CI does.
    """
    yield from _clone(server, HEAD_TEMPLATE)


@pytest.fixture
def seeded_db_url(server: Throwaway) -> Iterator[str]:
    """A database at head with the demo data set (``zora_db.seed``)."""
    yield from _clone(server, SEEDED_TEMPLATE)


@pytest.fixture
def compat_db_url(server: Throwaway) -> Iterator[str]:
    """A database with the compatibility layer and no migration applied."""
    yield from _clone(server, COMPAT_TEMPLATE)


@pytest.fixture
def vanilla_db_url(server: Throwaway) -> Iterator[str]:
    """A plain PostgreSQL database, no compatibility layer."""
    yield from _clone(server, None)


@contextmanager
def acting_as(
    url: str, user: object | None, role: str | None = "authenticated"
) -> Iterator[psycopg.Connection]:
    """A transaction in which the caller is ``user`` (PostgREST's way: role and JWT claims).

    ``role=None`` keeps the superuser but sets the claims (so auth.uid() works
    without row level security getting in the way). Committed on success.
    """
    with psycopg.connect(url) as conn:
        become(conn, user, role)
        yield conn


def become(
    conn: psycopg.Connection, user: object | None, role: str | None = "authenticated"
) -> None:
    """In ``conn``'s current transaction, be ``user`` as PostgREST makes a request."""
    acting.become(conn, None if user is None else str(user), role=role, keep_role=role is None)


def one_waits_for_the_other(url: str, first: str, second: str, params: list[list[object]]) -> None:
    """Run ``first``, then ``second`` in another transaction that must queue behind it.

    Both commit, first ``first``. Fails if ``second`` never waits on a lock,
    so a test built on it really exercises the concurrent path.
    """
    holder, waiter = psycopg.connect(url), psycopg.connect(url)
    try:
        holder.execute(first, params[0])  # type: ignore[arg-type]
        queued = threading.Thread(target=lambda: waiter.execute(second, params[1]))  # type: ignore[arg-type]
        queued.start()
        wait_for_a_lock_wait(url)
        holder.commit()
        queued.join(timeout=10)
        waiter.commit()
    finally:
        holder.close()
        waiter.close()


def wait_for_a_lock_wait(url: str) -> None:
    """Return once some session of the server waits for a lock."""
    until(
        lambda: scalar(url, "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"),
        "a session waiting for a lock",
    )


def query(url: str, sql: str, params: object = None) -> list[tuple[object, ...]]:
    """Run one statement in its own transaction and return its rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def scalar(url: str, sql: str, params: object = None) -> object:
    rows = query(url, sql, params)
    return rows[0][0] if rows else None


def history_config(tmp_path: Path) -> tuple[Path, Path]:
    """An Alembic config: the project's history plus ``tmp_path/versions`` for new revisions."""
    versions = tmp_path / "versions"
    versions.mkdir()
    config = tmp_path / "alembic.ini"
    config.write_text(
        textwrap.dedent(f"""
        [alembic]
        script_location = {PROJECT_ROOT / "alembic"}
        version_locations = {PROJECT_ROOT / "alembic" / "versions"}{os.pathsep}{versions}
        path_separator = os
        file_template = %%(rev)s_%%(slug)s
        """)
    )
    return config, versions


@pytest.fixture
def extra_migrations(tmp_path: Path) -> Callable[[str, str], Path]:
    """Add a migration on top of the project's head; returns the config to use.

    The project's env.py and versions are used as they are; the extra
    revision lives in a second version location in ``tmp_path``.
    """
    config, versions = history_config(tmp_path)
    head = migrations.heads()[0].revision

    def add(revision: str, upgrade_sql: str, downgrade_sql: str = "select 1") -> Path:
        existing = sorted(versions.glob("*.py"))
        down = existing[-1].name.split("_")[0] if existing else head
        (versions / f"{revision}_extra.py").write_text(
            textwrap.dedent(f'''
            """extra migration {revision} for a test"""
            from alembic import op

            revision = "{revision}"
            down_revision = "{down}"
            branch_labels = None
            depends_on = None


            def upgrade() -> None:
                op.execute("""{upgrade_sql}""")


            def downgrade() -> None:
                op.execute("""{downgrade_sql}""")
            ''')
        )
        return config

    return add


def skip_without_node(reason: str) -> None:
    """Skip a test that needs node and npm, saying so; CI sets ZORA_REQUIRE_NODE to fail instead."""
    if os.environ.get("ZORA_REQUIRE_NODE"):
        pytest.fail(f"{reason} (ZORA_REQUIRE_NODE is set)")
    pytest.skip(reason)


def decoder_here(url: str) -> str:
    """The decoder Realtime would read on this server: wal2json when it can load it.

    Probed independently of the code under test: a temporary wal2json slot.
    """
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "select pg_create_logical_replication_slot(%s, 'wal2json', true)",
                [f"zora_probe_{secrets.token_hex(4)}"],
            )
    except psycopg.errors.UndefinedFile as exc:
        if os.environ.get("ZORA_REQUIRE_WAL2JSON"):  # CI, where it is installed: never fall back
            pytest.fail(f"wal2json is required here (ZORA_REQUIRE_WAL2JSON): {exc}")
        return "pgoutput"
    return "wal2json"


@pytest.fixture
def wal2json(seeded_db_url: str) -> None:
    """For tests of what wal2json alone delivers (stored generated columns among them)."""
    if decoder_here(seeded_db_url) != "wal2json":
        pytest.skip(
            "this server cannot load wal2json: PostgreSQL 17 and 18 from npm ship no server "
            "headers to build it (Supabase's 17 has it); these run on 15, and pgoutput's "
            "path runs here"
        )
