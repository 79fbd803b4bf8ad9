"""Databases to work on when none is given: throwaway, migrated to head, gone afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from zora_db import migrations
from zora_db.compat import bootstrap
from zora_db.seed import seed
from zora_db.throwaway import ExistingServer, throwaway
from zora_db.urls import redact


def quiet(_message: str) -> None:
    """Say nothing."""


@contextmanager
def scratch_database(
    server_url: str | None = None,
    *,
    seeded: bool = False,
    revision: str = "head",
    config_path: Path | None = None,
    say: Callable[[str], None] = quiet,
) -> Iterator[str]:
    """A new database at ``revision`` (with the demo data if ``seeded``), dropped on exit.

    On the server ``server_url`` names (a temporary database beside the
    others, which are never touched), else on a throwaway server.
    """
    server = ExistingServer(server_url) if server_url else throwaway()
    with server:
        url = server.create_database()
        where = redact(server_url) if server_url else f"a throwaway server ({server.backend})"
        say(f"temporary database on {where}: migrating to {revision}")
        bootstrap(url)
        if revision != "base":
            migrations.upgrade(url, revision, config_path=config_path)
        if seeded:
            seed(url)
        yield url


@contextmanager
def database_or_scratch(
    url: str | None, *, config_path: Path | None = None, say: Callable[[str], None] = quiet
) -> Iterator[str]:
    """``url`` itself when given, else a scratch database at head."""
    if url:
        yield url
        return
    with scratch_database(config_path=config_path, say=say) as scratch:
        yield scratch
