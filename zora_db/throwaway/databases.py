"""Throwaway databases: migrated to a revision, on a given or a throwaway server, then dropped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zora_db import migrations
from zora_db.compat import bootstrap
from zora_db.db import connect
from zora_db.errors import BackendUnavailable
from zora_db.progress import Say, quiet
from zora_db.seed import seed
from zora_db.throwaway import ExistingServer, throwaway
from zora_db.urls import param, redact


@contextmanager
def throwaway_database(
    server_url: str | None = None,
    *,
    seeded: bool = False,
    revision: str = "head",
    major: int | None = None,
    config_path: Path | None = None,
    say: Say = quiet,
) -> Iterator[str]:
    """A new database at ``revision`` (with the demo data if ``seeded``), dropped on exit.

    On the server ``server_url`` names (a temporary database beside the
    others, which are never touched), else on a throwaway server (of ``major``).
    The layer goes in as the server's superuser where we have one, else as
    the URL's role, which owns the new database (on Supabase, `postgres`:
    Supabase sets up only its database ``postgres``, never ``template1``).
    The migrations and the data run as the owner role.
    """
    server = ExistingServer(server_url) if server_url else throwaway(major=major)
    with server:
        url = server.create_database()
        where = redact(server_url) if server_url else f"a throwaway server ({server.backend})"
        say(f"temporary database on {where}: migrating to {revision}")
        bootstrap(server.superuser_url(database_name(url)))
        if revision != "base":
            migrations.upgrade(url, revision, config_path=config_path)
        if seeded:
            seed(url)
        yield url


@contextmanager
def database_or_throwaway(
    url: str | None, *, config_path: Path | None = None, say: Say = quiet
) -> Iterator[str]:
    """``url`` itself when given, else a throwaway database at head."""
    if url:
        yield url
        return
    with throwaway_database(config_path=config_path, say=say) as throwaway_url:
        yield throwaway_url


@contextmanager
def reference_database(
    target_url: str,
    *,
    revision: str,
    config_path: Path | None = None,
    say: Say = quiet,
) -> Iterator[str]:
    """What the migrations build at ``revision``, on the target's own PostgreSQL major.

    Catalogs read back differently across majors (17 added MAINTAIN to every
    table grant), so the reference is made where it compares like with like:
    on the target server itself when its role may create databases (a
    temporary database, dropped afterwards), else on a throwaway server of
    the target's major. A reference on another major is refused.
    """
    major, may_create = _server_facts(target_url)
    if may_create:
        with throwaway_database(
            target_url, revision=revision, config_path=config_path, say=say
        ) as url:
            yield url
        return
    with throwaway_database(
        revision=revision, major=major, config_path=config_path, say=say
    ) as url:
        have, _ = _server_facts(url)
        if have != major:
            raise BackendUnavailable(
                f"the reference database would run PostgreSQL {have}, the target {major}: "
                "their catalogs differ (grants, definitions), so every difference could be noise",
                hint=f"set ZORA_PG_VERSION={major} (or ZORA_PG_BINDIR to its binaries), or let "
                "the target's role create databases so the reference is made beside it",
            )
        yield url


def _server_facts(url: str) -> tuple[int, bool]:
    """The server's major, and whether the URL's role may create databases on it."""
    with connect(url) as conn:
        row = conn.execute(
            "select current_setting('server_version_num')::int / 10000,"
            " rolcreatedb or rolsuper from pg_catalog.pg_roles where rolname = current_user"
        ).fetchone()
    assert row is not None
    return int(row[0]), bool(row[1])


def database_name(url: str) -> str:
    """The database a URL names."""
    name = param(url, "dbname")
    assert name, url
    return name
