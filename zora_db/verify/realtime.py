"""Realtime, checked where Supabase Realtime reads it: logical decoding of the publication.

For every table in ``supabase_realtime``, one row is deleted, inserted back
and updated, each in its own transaction, while a temporary pgoutput slot
of that publication is read. Each change must arrive with the row (every
column on insert and update; the key, or the whole old row where replica
identity is FULL) and the time from commit to decoded message is measured.

pgoutput on PostgreSQL 15 leaves stored generated columns out of the stream
(orders.total, order_items.line_total, the ratings): a whole row here is
every other column. Subscribers derive those (subtotal + delivery_fee) or
refetch.

The writes run with ``session_replication_role = replica`` (no triggers, no
foreign key actions), so the row is put back exactly as it was and nothing
else moves: this checks the stream, not the triggers. Needs a superuser and
``wal_level = logical``; ``zora-db verify`` runs it on a temporary database.
"""

from __future__ import annotations

import secrets
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from zora_db.catalog import Catalog
from zora_db.contract import REALTIME_PUBLICATION
from zora_db.verify.checks import CheckFailed


@dataclass
class Change:
    kind: str  # "insert", "update", "delete"
    relation: str  # schema.name
    new: list[str | None] | None = None
    old: list[str | None] | None = None
    old_is_key_only: bool = False


@dataclass
class TableResult:
    table: str
    replica_identity: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)


class _Reader:
    """Decodes pgoutput protocol version 1 messages (the subset DML needs)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        (result,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return result

    def string(self) -> str:
        end = self.data.index(b"\0", self.pos)
        text = self.data[self.pos : end].decode()
        self.pos = end + 1
        return text

    def tuple(self) -> list[str | None]:
        values: list[str | None] = []
        for _ in range(self.take("!h")):
            kind = self.take("!c")
            if kind == b"t":
                length = self.take("!i")
                values.append(self.data[self.pos : self.pos + length].decode())
                self.pos += length
            else:  # b"n" null, b"u" unchanged TOAST value
                values.append(None)
        return values


def decode(messages: list[bytes], relations: dict[int, str]) -> Iterator[Change]:
    """The row changes among pgoutput ``messages``; ``relations`` fills in as they come."""
    for message in messages:
        r = _Reader(message)
        tag = r.take("!c")
        if tag == b"R":
            relid = r.take("!I")
            relations[relid] = f"{r.string()}.{r.string()}"
        elif tag == b"I":
            relid = r.take("!I")
            r.take("!c")  # N
            yield Change("insert", relations[relid], new=r.tuple())
        elif tag == b"U":
            relid = r.take("!I")
            change = Change("update", relations[relid])
            part = r.take("!c")
            if part in (b"K", b"O"):
                change.old, change.old_is_key_only = r.tuple(), part == b"K"
                part = r.take("!c")
            change.new = r.tuple()
            yield change
        elif tag == b"D":
            relid = r.take("!I")
            part = r.take("!c")
            yield Change("delete", relations[relid], old=r.tuple(), old_is_key_only=part == b"K")


class Stream:
    """A temporary pgoutput slot on the publication, read on demand."""

    def __init__(self, url: str, publication: str = REALTIME_PUBLICATION) -> None:
        self.slot = f"zora_verify_{secrets.token_hex(4)}"
        self.publication = publication
        self.relations: dict[int, str] = {}
        self.conn = psycopg.connect(url, autocommit=True)
        level = self.conn.execute("show wal_level").fetchone()
        if not level or level[0] != "logical":
            self.conn.close()
            raise CheckFailed(
                f"wal_level is {level[0] if level else '?'}: realtime needs logical decoding "
                "(Supabase has it; on your own server set wal_level = logical)"
            )
        self.conn.execute(
            "select pg_create_logical_replication_slot(%s, 'pgoutput', true)", [self.slot]
        )

    def read(self) -> list[Change]:
        data = self.conn.execute(
            "select data from pg_logical_slot_get_binary_changes(%s, null, null, "
            "'proto_version', '1', 'publication_names', %s)",
            [self.slot, self.publication],
        ).fetchall()
        return list(decode([bytes(d) for (d,) in data], self.relations))

    def close(self) -> None:
        self.conn.close()  # a temporary slot goes with its session


def check_realtime(url: str, catalog: Catalog, timeout_s: float = 5.0) -> list[TableResult]:
    """Delete, insert and update one row of every published table; check the stream."""
    publication = catalog.publication(REALTIME_PUBLICATION)
    if publication is None:
        raise CheckFailed(f"there is no {REALTIME_PUBLICATION} publication")
    stream = Stream(url, publication.name)
    try:
        with psycopg.connect(url, autocommit=True) as writer:
            # As in production: a commit returns once its WAL is flushed, so the
            # latency measured is decoding's, not a throwaway's relaxed durability.
            writer.execute("set synchronous_commit = on")
            return [
                _check_table(writer, stream, catalog, table, timeout_s)
                for table in publication.tables
            ]
    finally:
        stream.close()


def _check_table(
    writer: psycopg.Connection[Any],
    stream: Stream,
    catalog: Catalog,
    table: str,
    timeout_s: float,
) -> TableResult:
    relation = catalog.relation(table)
    key = next(
        (
            k.columns
            for k in catalog.constraints
            if k.kind == "primary key" and k.qualified_table == table
        ),
        None,
    )
    assert relation is not None
    result = TableResult(table, relation.replica_identity, passed=False)
    if not key:
        result.problems.append("no primary key: Realtime cannot send its changes")
        return result
    schema, name = table.split(".")
    target = sql.Identifier(schema, name)
    writable = [c.name for c in relation.columns if not c.generated]
    columns = sql.SQL(", ").join(map(sql.Identifier, writable))
    where = sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(sql.Identifier(schema, name, k), sql.Identifier("probe", k))
        for k in key
    )
    steps = (
        ("delete", sql.SQL("delete from {t} using probe where {w}").format(t=target, w=where)),
        (
            "insert",
            sql.SQL("insert into {t} ({c}) overriding system value select {c} from probe").format(
                t=target, c=columns
            ),
        ),
        (
            "update",
            sql.SQL("update {t} set {k} = {t}.{k} from probe where {w}").format(
                t=target, k=sql.Identifier(key[0]), w=where
            ),
        ),
    )
    writer.execute("drop table if exists pg_temp.probe")
    writer.execute(sql.SQL("create temp table probe as select * from {} limit 1").format(target))
    if not writer.execute("select from pg_temp.probe").fetchall():
        result.problems.append("no row to probe with (the table is empty)")
        return result
    stream.read()  # start from here
    for kind, statement in steps:
        with writer.transaction():
            writer.execute("set local session_replication_role = replica")
            writer.execute(statement)
        committed = time.perf_counter()
        change = _await(stream, table, kind, committed + timeout_s)
        result.latencies_ms.append((time.perf_counter() - committed) * 1000)
        result.problems += _judge(change, kind, relation.replica_identity, len(writable))
    result.passed = not result.problems
    return result


def _await(stream: Stream, table: str, kind: str, deadline: float) -> Change | None:
    while True:
        for change in stream.read():
            if change.relation == table and change.kind == kind:
                return change
        if time.perf_counter() > deadline:
            return None
        time.sleep(0.001)


def _judge(change: Change | None, kind: str, identity: str, width: int) -> list[str]:
    if change is None:
        return [f"no {kind} arrived on the stream"]
    problems = []
    if kind in ("insert", "update") and (change.new is None or len(change.new) != width):
        problems.append(f"{kind} without the whole new row")
    full_old_row = (
        change.old is not None and not change.old_is_key_only and len(change.old) == width
    )
    if identity == "full" and kind in ("update", "delete") and not full_old_row:
        problems.append(f"{kind} without the previous row (replica identity full)")
    if kind == "delete" and not change.old:
        problems.append("delete without the row's key")
    return problems
