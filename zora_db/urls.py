"""Which database a command talks to, and the URL spellings each library wants.

Resolution order: ``--database-url``, then ``ZORA_DATABASE_URL``, then
``DATABASE_URL``. Supabase hands out ``postgres://`` URLs, SQLAlchemy wants
``postgresql+psycopg://`` and libpq ``postgresql://``; all three are accepted.

Parsed with the standard library, not SQLAlchemy: every command resolves a
URL, and most never need SQLAlchemy (it would be a fifth of their start-up).
libpq checks the query parameters when it connects.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

from zora_db.errors import ConfigError

URL_ENV_VARS = ("ZORA_DATABASE_URL", "DATABASE_URL")
_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg"}
NO_URL_HINT = (
    "pass --database-url, set ZORA_DATABASE_URL or DATABASE_URL, "
    "or start a local database with `zora-db dev start` and use `zora-db dev url`"
)
# scheme://[user[:password]@][host][:port][/database][?query]; the host may be
# an [IPv6] literal or, as libpq allows, a comma-separated list of host[:port].
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?:(?P<user>[^:@/]*)(?::(?P<password>[^@]*))?@)?"
    r"(?P<hosts>[^/?]*)"
    r"(?:/(?P<database>[^?]*))?"
    r"(?:\?(?P<query>.*))?",
    re.DOTALL,
)
_PORT = re.compile(r"(?:^|,)(?:\[[^\]]*\]|[^,:]*)(?::(?P<port>[^,]*))?")


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed PostgreSQL URL; ``set`` returns a changed copy, ``render`` the text."""

    scheme: str
    username: str | None
    password: str | None
    hosts: str
    database: str | None
    query: str | None

    def set(self, **changes: str | None) -> DatabaseUrl:
        return replace(self, **changes)  # type: ignore[arg-type]

    def render(self, *, hide_password: bool = False) -> str:
        userinfo = ""
        if self.username is not None:
            userinfo = quote(self.username, safe="")
            if self.password is not None:
                secret = "***" if hide_password else quote(self.password, safe="")
                userinfo += f":{secret}"
            userinfo += "@"
        text = f"{self.scheme}://{userinfo}{self.hosts}"
        if self.database is not None:
            text += f"/{quote(self.database, safe='')}"
        if self.query is not None:
            text += f"?{self.query}"
        return text


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


def parse(url: str, *, source: str = "the database URL") -> DatabaseUrl:
    """Parse and check a PostgreSQL URL, with a one-line error naming its source."""
    match = _URL.fullmatch(url.strip())
    if match is None or any(not p.isdigit() for p in _ports(match["hosts"])):
        raise ConfigError(
            f"{source} is not a valid PostgreSQL URL",
            hint="expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        )
    if match["scheme"] not in _SCHEMES:
        raise ConfigError(
            f"{source} uses the scheme {match['scheme']!r}, not PostgreSQL",
            hint="use a postgresql:// or postgres:// URL",
        )
    user, password, database = match["user"], match["password"], match["database"]
    return DatabaseUrl(
        scheme=match["scheme"],
        username=unquote(user) if user is not None else None,
        password=unquote(password) if password is not None else None,
        hosts=match["hosts"],
        database=unquote(database) if database else None,
        query=match["query"],
    )


def _ports(hosts: str) -> list[str]:
    return [m["port"] for m in _PORT.finditer(hosts) if m["port"] is not None]


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg 3 driver, as SQLAlchemy needs it."""
    return parse(url).set(scheme="postgresql+psycopg").render()


def libpq_url(url: str) -> str:
    """The URL as libpq (and so psycopg and psql) reads it."""
    return parse(url).set(scheme="postgresql").render()


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    return parse(url).set(database=database).render()


def redact(url: str) -> str:
    """The URL safe to print: the password masked."""
    try:
        return parse(url).set(scheme="postgresql").render(hide_password=True)
    except ConfigError:
        return "<unparsable URL>"
