"""Who may read and write a private channel: Realtime's probes in ``realtime.messages``.

As Realtime does (``tenants/authorization.ex``): in one transaction, insert
a probe row per extension (``broadcast``, and ``presence`` when the channel
uses it) as the service role, switch to the user (``role``,
``realtime.topic``, ``request.jwt.claims``…) and select the probes back:
what row level security lets the user see is what the user may read. A
write is an insert per extension as the user, each in a savepoint: success
means the user may write, 42501 means not. Everything is rolled back.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

EXTENSIONS = ("broadcast", "presence")

_AS_USER = """
select pg_catalog.set_config('role', %(role)s, true),
       pg_catalog.set_config('realtime.topic', %(topic)s, true),
       pg_catalog.set_config('request.jwt.claims', %(claims)s, true),
       pg_catalog.set_config('request.jwt.claim.sub', %(sub)s, true),
       pg_catalog.set_config('request.jwt.claim.role', %(role)s, true),
       pg_catalog.set_config('request.headers', '{}', true)
"""
_PROBE = "insert into realtime.messages (id, topic, extension) values (%s, %s, %s)"


class MissingPartition(Exception):
    """``realtime.messages`` has no partition for today (Realtime's ``MissingPartition``)."""


@dataclass
class Policies:
    """What one channel's user may do, per extension; None until asked."""

    read: dict[str, bool]
    write: dict[str, bool | None]

    def may_read(self, extension: str) -> bool:
        return self.read.get(extension, False)


class Authorizer:
    """Runs the probes on one connection of the service role, one channel at a time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self.url)
        return self._conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    async def read(self, topic: str, claims: dict[str, Any], presence: bool) -> Policies:
        """The read policies of ``topic`` for the user of ``claims``."""
        extensions = EXTENSIONS if presence else EXTENSIONS[:1]
        probes = {ext: uuid.uuid4() for ext in extensions}
        async with self._lock:
            conn = await self._connection()
            try:
                async with conn.transaction(force_rollback=True):
                    for ext, probe in probes.items():
                        await conn.execute(_PROBE, [probe, topic, ext])
                    await conn.execute(_AS_USER, _context(topic, claims))
                    cur = await conn.execute(
                        "select id from realtime.messages where id = any(%s)",
                        [list(probes.values())],
                    )
                    seen = {row[0] for row in await cur.fetchall()}
            except psycopg.errors.CheckViolation as exc:
                raise MissingPartition(str(exc)) from None
            except psycopg.errors.InsufficientPrivilege:
                seen = set()  # a policy that raises refuses, as Realtime's RlsPolicyError
        return Policies({ext: probe in seen for ext, probe in probes.items()}, {})

    async def may_write(
        self, policies: Policies, topic: str, claims: dict[str, Any], extension: str
    ) -> bool:
        """Whether the user may write ``extension``; asked once, then kept for the channel."""
        known = policies.write.get(extension)
        if known is not None:
            return known
        async with self._lock:
            conn = await self._connection()
            async with conn.transaction(force_rollback=True):
                await conn.execute(_AS_USER, _context(topic, claims))
                try:
                    async with conn.transaction():
                        await conn.execute(_PROBE, [uuid.uuid4(), topic, extension])
                    allowed = True
                except psycopg.errors.InsufficientPrivilege:
                    allowed = False
        policies.write[extension] = allowed
        return allowed


def _context(topic: str, claims: dict[str, Any]) -> dict[str, str]:
    return {
        "role": str(claims.get("role") or "anon"),
        "topic": topic,
        "claims": json.dumps(claims),
        "sub": str(claims.get("sub") or ""),
    }
