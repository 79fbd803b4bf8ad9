"""Probes: named behaviours tried on a seeded database, each in a transaction rolled back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from zora_db.acting import acting_as
from zora_db.sqlstates import ZoraSqlState
from zora_db.verify.actors import Actor

Conn = psycopg.Connection[Any]
Statement = str | sql.SQL | sql.Composed
# PostgreSQL's errors by psycopg's class (InsufficientPrivilege…); ours, which
# psycopg cannot know, by their ZA code.
Expected = type[psycopg.Error] | ZoraSqlState


class ProbeFailed(AssertionError):
    """The database did not behave as the probe requires."""


@dataclass(frozen=True)
class Probe:
    name: str
    description: str
    run: Callable[[Conn, dict[str, Any]], None]


def run_probe(conn: Conn, probe: Probe, known: dict[str, Any]) -> None:
    """Run ``probe``; raises ProbeFailed. Nothing it does is kept."""
    with conn.transaction(force_rollback=True):
        probe.run(conn, known)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ProbeFailed(message)


def refused(
    conn: Conn, actor: Actor | None, statement: Statement, params: Any = None, *, error: Expected
) -> None:
    """``statement`` (as ``actor``, or the owner) must fail with ``error``; nothing stays."""
    wanted = error if isinstance(error, ZoraSqlState) else f"{error.__name__}"
    try:
        with conn.transaction():
            if actor is None:
                conn.execute(statement, params)
            else:
                with acting_as(conn, actor.uid):
                    conn.execute(statement, params)
    except psycopg.Error as exc:
        matched = (
            exc.sqlstate == error if isinstance(error, ZoraSqlState) else isinstance(exc, error)
        )
        expect(
            matched,
            f"{statement!r} failed with {type(exc).__name__} {exc.sqlstate} "
            f"({exc.diag.message_primary}), expected {wanted}",
        )
        return
    raise ProbeFailed(
        f"{statement!r} as {actor.key if actor else 'owner'} succeeded; expected {wanted}"
    )


def rows(conn: Conn, actor: Actor | None, statement: Statement, params: Any = None) -> list[Any]:
    """The rows of ``statement`` run as ``actor`` (or as the owner with ``None``)."""
    if actor is None:
        cur = conn.execute(statement, params)
    else:
        with acting_as(conn, actor.uid):
            cur = conn.execute(statement, params)
    # A zero-column select has rows and an empty (falsy) description: only None means none.
    return cur.fetchall() if cur.description is not None else []


def value(conn: Conn, statement: Statement, params: Any = None) -> Any:
    """One value, read as the owner."""
    row = conn.execute(statement, params).fetchone()
    return row[0] if row else None
