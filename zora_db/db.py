"""Opening connections, and turning the driver's failures into one-line errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg

from zora_db.errors import ConfigError, ConnectionFailed
from zora_db.urls import redact

if TYPE_CHECKING:
    from sqlalchemy import Engine

CONNECT_TIMEOUT_S = 10


@contextmanager
def connect(url: str, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A psycopg connection to ``url``, closed on exit."""
    with connect_raw(url, autocommit=autocommit) as conn:
        yield conn


def connect_raw(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """A psycopg connection to ``url`` that the caller closes (for objects that own one)."""
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        raise connection_error(exc, url) from exc


def sqlalchemy_engine(url: str) -> Engine:
    """An engine whose every connection is :func:`connect_raw`'s: libpq reads ``url`` as given.

    SQLAlchemy never sees the URL, so it is not re-spelt for a dialect, and a
    failed connection is already our one-line error. NullPool: a command opens
    one connection and ends. SQLAlchemy is imported here, by the commands that
    migrate, and not by every command.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(
        "postgresql+psycopg://", creator=lambda: connect_raw(url), poolclass=NullPool
    )


def connection_error(exc: BaseException, url: str) -> ConnectionFailed | ConfigError:
    """A one-line, actionable error for a failed connection attempt."""
    # libpq's message: "connection to server at ... failed: REASON" plus its own
    # hint lines, once per address tried; keep the last attempt's reason only.
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    failed = [ln for ln in lines if " failed: " in ln]
    reason = failed[-1].rsplit(" failed: ", 1)[1] if failed else (lines[0] if lines else repr(exc))
    reason = reason.removeprefix("FATAL:").strip()
    lowered = reason.lower()
    if re.search(r"invalid \S+ value|invalid connection option|invalid URI", reason):
        return ConfigError(  # libpq refused the URL itself: nothing was tried
            f"the URL {redact(url)} is not valid: {reason.removeprefix('connection is bad: ')}",
            hint="fix its query parameters (e.g. sslmode=require)",
        )
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        hint = "check the user name and password in the URL"
    elif "does not exist" in lowered and "database" in lowered:
        hint = "check the database name in the URL, or create the database"
    elif "connection refused" in lowered or "no such file" in lowered:
        hint = "is the server running? check host and port (local: `zora-db dev start`)"
    elif "translate host name" in lowered or "name or service not known" in lowered:
        hint = "check the host name in the URL"
    elif "timeout" in lowered:
        hint = "the server did not answer in time; check host, port and firewall"
    else:
        hint = "check the URL and that the server accepts connections"
    return ConnectionFailed(f"cannot connect to {redact(url)}: {reason}", hint=hint)
