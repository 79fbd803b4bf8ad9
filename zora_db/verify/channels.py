"""Private Realtime channels, checked the way Supabase Realtime authorizes them.

When a client joins a private channel, Realtime inserts a probe message for
the channel's topic (as itself), then, as the user (``role``,
``request.jwt.claims``, ``realtime.topic``), selects it back: seen means the
user may join and receive. To send (broadcast) or track (presence) it
inserts as the user in a savepoint: refused means not allowed. Here each
channel of the contract is probed that way for every person of the demo
data, in a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg

from zora_db.acting import acting_as
from zora_db.contract import PRIVATE_CHANNELS, PrivateChannel
from zora_db.verify.actors import ACTORS, Actor


def _on_channel(conn: psycopg.Connection[Any], topic: str) -> None:
    """What Realtime sets besides the user: the channel's topic, for realtime.topic()."""
    conn.execute("select pg_catalog.set_config('realtime.topic', %s, true)", [topic])


def may_read(conn: psycopg.Connection[Any], actor: Actor, channel: PrivateChannel) -> bool:
    with conn.transaction(force_rollback=True):
        probe = conn.execute(
            "insert into realtime.messages (topic, extension, private) values (%s, %s, true) "
            "returning id",
            [channel.topic, channel.extension],
        ).fetchone()
        assert probe is not None
        with acting_as(conn, actor.uid):
            _on_channel(conn, channel.topic)
            seen = conn.execute(
                "select exists (select from realtime.messages where id = %s)", [probe[0]]
            ).fetchone()
        return bool(seen and seen[0])


def may_write(conn: psycopg.Connection[Any], actor: Actor, channel: PrivateChannel) -> bool:
    with conn.transaction(force_rollback=True), acting_as(conn, actor.uid):
        _on_channel(conn, channel.topic)
        try:
            with conn.transaction():
                conn.execute(
                    "insert into realtime.messages (topic, extension, private) "
                    "values (%s, %s, true)",
                    [channel.topic, channel.extension],
                )
        except psycopg.errors.InsufficientPrivilege:
            return False
        return True


def check_channels(conn: psycopg.Connection[Any]) -> Iterator[tuple[str, bool, str]]:
    """(name, passed, detail) for every private channel and person of the demo data."""
    for channel in PRIVATE_CHANNELS:
        for actor in ACTORS:
            expected = (actor.kind in channel.readers, actor.kind in channel.writers)
            actual = (may_read(conn, actor, channel), may_write(conn, actor, channel))
            detail = "; ".join(
                f"{actor.key} {'may' if got else 'may not'} {verb}, expected the opposite"
                for verb, want, got in zip(("join", "write"), expected, actual, strict=True)
                if want != got
            )
            yield (
                f"private channel {channel.topic} ({channel.extension}) as {actor.key}",
                expected == actual,
                detail,
            )
