"""Being one of the apps' users inside a transaction, the way PostgREST serves a request.

PostgREST runs every request in a transaction that starts with ``set local
role`` (the token's role; ``anon`` without one) and sets
``request.jwt.claims`` to the token's claims, where ``auth.uid()`` and the
policies read them. Seed, verify, the load generator, the tests and the
benchmarks all act as a user through :func:`acting_as` (or :func:`become`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql


def claims_for(user: UUID | str | None, role: str | None = None) -> dict[str, str]:
    """The JWT claims Supabase Auth issues: a signed-in user's ``sub`` and role, or anon's."""
    if user is None:
        return {"role": role or "anon"}
    return {"sub": str(user), "role": role or "authenticated"}


def become(
    conn: psycopg.Connection[Any],
    user: UUID | str | None = None,
    *,
    role: str | None = None,
    keep_role: bool = False,
    claims: dict[str, Any] | None = None,
) -> None:
    """In ``conn``'s current transaction, be ``user`` until it ends.

    ``role`` defaults to ``authenticated`` for a user and ``anon`` without one;
    ``keep_role`` sets only the claims (``auth.uid()`` answers, row level
    security does not apply: setting up what a test needs); ``claims``
    replaces the token's claims outright.
    """
    token = claims if claims is not None else claims_for(user, role)
    conn.execute(
        "select pg_catalog.set_config('request.jwt.claims', %s, true)", [json.dumps(token)]
    )
    if not keep_role:
        role = role or token.get("role") or "anon"
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))


@contextmanager
def acting_as(
    conn: psycopg.Connection[Any], user: UUID | str | None = None, *, role: str | None = None
) -> Iterator[None]:
    """:func:`become` ``user`` for the block, then yourself again (same transaction)."""
    become(conn, user, role=role)
    try:
        yield
    finally:
        # After an error the transaction is rolled back, and these with it.
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            conn.execute("reset role")
            conn.execute("select pg_catalog.set_config('request.jwt.claims', '', true)")
