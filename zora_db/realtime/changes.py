"""Row changes as logical decoding gives them: wal2json (what Supabase Realtime reads) or pgoutput.

Both decoders produce the same ``Change``: the action, the table, the new
row's columns, the replica identity's columns (the old key, or the whole old
row with ``REPLICA IDENTITY FULL``) and the commit time. Values stay text,
as PostgreSQL printed them; the delivery engine casts them the way Realtime
does (``to_jsonb(value::type)``).

What pgoutput (protocol 1) gives differently from wal2json: no stored
generated columns (``orders.total`` is missing) and unchanged TOAST values
arrive as "unchanged" (left out here). Realtime itself never reads pgoutput.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

ACTIONS = {"I": "INSERT", "U": "UPDATE", "D": "DELETE"}
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Value:
    """One column of a decoded row: its name and PostgreSQL's text for it (None for null)."""

    name: str
    text: str | None


@dataclass(frozen=True)
class Change:
    action: str  # "INSERT", "UPDATE", "DELETE"
    schema: str
    table: str
    columns: tuple[Value, ...] = ()  # the new row (INSERT, UPDATE)
    identity: tuple[Value, ...] = ()  # the replica identity's old values (UPDATE, DELETE)
    committed_at: datetime | None = None
    size: int = 0  # bytes of the change as wal2json wrote it: Realtime's 413 threshold
    raw: str = field(default="", compare=False, repr=False)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    def new(self) -> dict[str, str | None]:
        return {v.name: v.text for v in self.columns}

    def old(self) -> dict[str, str | None]:
        return {v.name: v.text for v in self.identity}


# --------------------------------------------------------------------------- wal2json


def as_text(value: Any) -> str | None:
    """A JSON value as PostgreSQL's text for it (what Realtime reads with ``#>> '{}'``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal | int):
        return str(value)
    return json.dumps(value, default=json_number)


def json_number(value: Any) -> Any:
    """Decimal values as JSON numbers (for ``json.dumps(default=…)``), as supabase-js gets them."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def from_wal2json(data: str) -> Change | None:
    """One ``format-version 2`` message; None for anything that is not a row change."""
    message = json.loads(data, parse_float=Decimal)
    action = ACTIONS.get(message.get("action", ""))
    if action is None:
        return None
    stamp = message.get("timestamp")
    return Change(
        action=action,
        schema=message["schema"],
        table=message["table"],
        columns=tuple(
            Value(c["name"], as_text(c.get("value"))) for c in message.get("columns", ())
        ),
        identity=tuple(
            Value(c["name"], as_text(c.get("value"))) for c in message.get("identity", ())
        ),
        committed_at=datetime.fromisoformat(stamp) if stamp else None,
        size=len(data.encode()),
        raw=data,
    )


# Realtime's options: the publication's actions and tables are added per poll.
WAL2JSON_OPTIONS = (
    ("include-pk", "true"),
    ("include-transaction", "false"),
    ("include-timestamp", "true"),
    ("include-type-oids", "true"),
    ("format-version", "2"),
)


# --------------------------------------------------------------------------- pgoutput


@dataclass
class _Relation:
    schema: str
    table: str
    columns: list[str]
    key: list[str]


class _Reader:
    """Reads pgoutput protocol version 1 messages (the subset row changes need)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> Any:
        (result,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return result

    def string(self) -> str:
        end = self.data.index(b"\0", self.pos)
        text = self.data[self.pos : end].decode()
        self.pos = end + 1
        return text

    def row(self, names: list[str]) -> tuple[Value, ...]:
        values = []
        for name in names[: self.take("!h")]:
            kind = self.take("!c")
            if kind == b"t":
                length = self.take("!i")
                values.append(Value(name, self.data[self.pos : self.pos + length].decode()))
                self.pos += length
            elif kind == b"n":
                values.append(Value(name, None))
            # b"u": an unchanged TOAST value, which pgoutput does not repeat
        return tuple(values)


class PgoutputDecoder:
    """Turns a stream of pgoutput messages into ``Change``s; remembers relations and commits."""

    def __init__(self) -> None:
        self.relations: dict[int, _Relation] = {}
        self.committed_at: datetime | None = None

    def decode(self, messages: list[bytes]) -> Iterator[Change]:
        for message in messages:
            r = _Reader(message)
            tag = r.take("!c")
            if tag == b"B":
                r.take("!Q")  # final LSN
                self.committed_at = POSTGRES_EPOCH + timedelta(microseconds=r.take("!q"))
            elif tag == b"R":
                self._relation(r)
            elif tag in (b"I", b"U", b"D"):
                yield self._change(tag, r, len(message))

    def _relation(self, r: _Reader) -> None:
        relid = r.take("!I")
        schema, table = r.string(), r.string()
        r.take("!c")  # replica identity setting
        columns, key = [], []
        for _ in range(r.take("!h")):
            flags = r.take("!B")
            name = r.string()
            r.take("!I")  # type oid
            r.take("!i")  # type modifier
            columns.append(name)
            if flags & 1:
                key.append(name)
        self.relations[relid] = _Relation(schema, table, columns, key)

    def _change(self, tag: bytes, r: _Reader, size: int) -> Change:
        relation = self.relations[r.take("!I")]
        new: tuple[Value, ...] = ()
        old: tuple[Value, ...] = ()
        part = r.take("!c")
        if tag == b"I":
            new = r.row(relation.columns)
        else:
            if part in (b"K", b"O"):
                old = r.row(relation.columns)
                if part == b"K":  # the key's values, the rest null
                    old = tuple(v for v in old if v.name in relation.key)
                part = r.take("!c") if tag == b"U" else part
            if tag == b"U":
                new = r.row(relation.columns)
        if tag == b"U" and not old:
            # wal2json repeats the key as the identity when it did not change; so do we.
            old = tuple(v for v in new if v.name in relation.key)
        return Change(
            action=ACTIONS[tag.decode()],
            schema=relation.schema,
            table=relation.table,
            columns=new,
            identity=old,
            committed_at=self.committed_at,
            size=size,
        )
