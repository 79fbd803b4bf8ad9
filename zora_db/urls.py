"""Which database a command talks to, and the URL spellings each library wants.

Resolution order: ``--database-url``, then ``ZORA_DATABASE_URL``, then
``DATABASE_URL``. Supabase hands out ``postgres://`` URLs, SQLAlchemy wants
``postgresql+psycopg://`` and libpq ``postgresql://``; all three are accepted.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from zora_db.errors import ConfigError

URL_ENV_VARS = ("ZORA_DATABASE_URL", "DATABASE_URL")
_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg"}
NO_URL_HINT = (
    "pass --database-url, set ZORA_DATABASE_URL or DATABASE_URL, "
    "or start a local database with `zora-db dev start` and use `zora-db dev url`"
)


def resolve_url(explicit: str | None = None) -> str:
    """The database URL from the option or the environment, validated."""
    url = configured_url(explicit)
    if url is None:
        raise ConfigError("no database URL given", hint=NO_URL_HINT)
    return url


def configured_url(explicit: str | None = None) -> str | None:
    """Like :func:`resolve_url`, but ``None`` when nothing is configured."""
    candidates = [("--database-url", explicit)]
    candidates += [(name, os.environ.get(name)) for name in URL_ENV_VARS]
    for source, value in candidates:
        if value:
            parse(value, source=source)
            return value
    return None


def parse(url: str, *, source: str = "the database URL") -> URL:
    """Parse and check a PostgreSQL URL, with a one-line error naming its source."""
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a non-numeric port only fails when read
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            f"{source} is not a valid PostgreSQL URL",
            hint="expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        ) from exc
    if parsed.drivername not in _SCHEMES:
        raise ConfigError(
            f"{source} uses the scheme {parsed.drivername!r}, not PostgreSQL",
            hint="use a postgresql:// or postgres:// URL",
        )
    return parsed


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg 3 driver, as SQLAlchemy needs it."""
    return parse(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The URL as libpq (and so psycopg and psql) reads it."""
    return parse(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    return parse(url).set(database=database).render_as_string(hide_password=False)


def redact(url: str) -> str:
    """The URL safe to print: the password masked."""
    try:
        return parse(url).set(drivername="postgresql").render_as_string(hide_password=True)
    except ConfigError:
        return "<unparsable URL>"
