"""Which database a command talks to, read by libpq's own rules.

Resolution order: ``--database-url``, then ``ZORA_DATABASE_URL``, then
``DATABASE_URL``. The value is a libpq connection string: a ``postgresql://``
or ``postgres://`` URL (Supabase prints the latter), or ``key=value`` pairs.
It is read with ``psycopg.conninfo``, which calls libpq's parser, so what we
accept is exactly what connects. libpq checks the values themselves (a port,
an ``sslmode``) when it connects; :func:`zora_db.db.connect` turns that refusal
into a one-line error before anything is tried.

A changed copy (another database, another user) is made by libpq's rules too,
as ``key=value`` pairs; nothing here writes a URL.
"""

from __future__ import annotations

import os
import re

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from zora_db.errors import ConfigError

URL_ENV_VARS = ("ZORA_DATABASE_URL", "DATABASE_URL")
NO_URL_HINT = (
    "pass --database-url, set ZORA_DATABASE_URL or DATABASE_URL, "
    "or start a local database with `zora-db dev start` and use `zora-db dev url`"
)
EXPECTED = "expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
# libpq reads these two URI prefixes; anything else before :// is another system's URL.
_LIBPQ_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_QUOTED = re.compile(r'"([^"]*)"')
_SHOWN_FIRST = ("host", "port", "dbname", "user")


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
        if value and value.strip():
            params(value, source=source)
            return value
    return None


def params(url: str, *, source: str = "the database URL") -> dict[str, str]:
    """The connection parameters libpq reads from ``url``; a one-line error naming its source."""
    scheme = _SCHEME.match(url.strip())
    if scheme and scheme[1] not in _LIBPQ_SCHEMES:
        hint = "use a postgresql:// or postgres:// URL"
        if scheme[1].startswith("postgresql+"):
            hint = f"{scheme[1]}:// is SQLAlchemy's spelling; {hint}"
        raise ConfigError(f"{source} uses the scheme {scheme[1]!r}, not PostgreSQL", hint=hint)
    try:
        # libpq's parser yields strings; psycopg's signature also allows its own keywords' types.
        found = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except ProgrammingError as exc:
        reason = _QUOTED.sub(lambda m: _hidden(m[0], m[1], url), str(exc)).strip()
        raise ConfigError(
            f"{source} is not a valid PostgreSQL connection string ({reason})", hint=EXPECTED
        ) from exc
    # libpq would refuse a port that is not a number only when connecting, and
    # psycopg, which resolves hosts first, then reports a DNS failure instead.
    bad_ports = [p for p in found.get("port", "").split(",") if p and not p.isdigit()]
    if bad_ports:
        raise ConfigError(f"{source} has the port {bad_ports[0]!r}, not a number", hint=EXPECTED)
    return found


def _hidden(quoted: str, text: str, url: str) -> str:
    # libpq quotes the offending part of the string, which may hold the password.
    return '"…"' if len(text) > 1 and text in url else quoted


def param(url: str, name: str) -> str | None:
    """One parameter of ``url`` (``user``, ``dbname``…), ``None`` if the URL leaves it to libpq."""
    return params(url).get(name)


def with_params(url: str, **changes: str) -> str:
    """``url`` with some parameters changed, e.g. ``user=…, password=…``."""
    return make_conninfo("", **(params(url) | changes))


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    return with_params(url, dbname=database)


def redact(url: str) -> str:
    """The connection string safe to print: libpq's ``key=value`` form without the password.

    As psycopg's ``ConnectionInfo.dsn`` shows it, where it is first: host, port,
    database, user, then any other parameter.
    """
    try:
        found = params(url)
    except ConfigError:
        return "<unparsable connection string>"
    found.pop("password", None)
    first = {key: found.pop(key) for key in _SHOWN_FIRST if key in found}
    return make_conninfo("", **first, **found)
