"""A temporary logical replication slot on the realtime publication, polled like Realtime polls it.

Realtime creates a temporary wal2json slot and reads it with
``pg_logical_slot_get_changes`` every 100 ms, passing the publication's
actions and tables each time. ``ChangeStream`` does the same (or reads
pgoutput where the server has no wal2json: ``plugin`` says which). The slot
is temporary: it goes when the connection closes, whatever ends the process.

One slot may read several publications (the local Realtime reads the
tables' changes and the messages ``realtime.send`` writes through one):
their tables and actions are united, as pgoutput unites them.
"""

from __future__ import annotations

import secrets
from typing import Any

import psycopg
from psycopg import sql

from zora_db.contract import REALTIME_PUBLICATION
from zora_db.db import connect_raw
from zora_db.errors import RealtimeUnavailable
from zora_db.realtime.changes import WAL2JSON_OPTIONS, Change, PgoutputDecoder, from_wal2json

MAX_CHANGES = 100  # per poll, as Realtime reads them

_PUBLICATION_SQL = """
select concat_ws(',', case when bool_or(p.pubinsert) then 'insert' end,
                      case when bool_or(p.pubupdate) then 'update' end,
                      case when bool_or(p.pubdelete) then 'delete' end),
       array(select distinct t.schemaname || '.' || t.tablename
               from pg_catalog.pg_publication_tables t where t.pubname = any(%s) order by 1)
  from pg_catalog.pg_publication p
 where p.pubname = any(%s)
"""


def _wal2json_table(qualified: str) -> str:
    """A table name for wal2json's ``add-tables``, its separators and wildcard escaped."""
    schema, _, table = qualified.partition(".")
    escape = str.maketrans({c: "\\" + c for c in "\\,.* "})
    return f"{schema.translate(escape)}.{table.translate(escape)}"


class ChangeStream:
    """Changes to the publication's tables since the last ``read``, decoded."""

    def __init__(
        self,
        url: str,
        publication: str = REALTIME_PUBLICATION,
        plugin: str = "auto",
        *,
        also: tuple[str, ...] = (),
    ) -> None:
        self.publication = publication
        self.publications = [publication, *also]
        self.slot = f"zora_realtime_{secrets.token_hex(4)}"
        self.conn: psycopg.Connection[Any] = connect_raw(url, autocommit=True)
        try:
            self._require_logical_decoding()
            self.plugin = self._create_slot(plugin)
        except BaseException:
            self.conn.close()
            raise
        self._pgoutput = PgoutputDecoder()

    def _require_logical_decoding(self) -> None:
        level = self.conn.execute("show wal_level").fetchone()
        if not level or level[0] != "logical":
            raise RealtimeUnavailable(
                f"wal_level is {level[0] if level else 'unknown'}, realtime needs logical decoding",
                hint="set wal_level = logical and restart the server (Supabase has it on)",
            )
        (known,) = self.conn.execute(
            "select array(select pubname from pg_catalog.pg_publication where pubname = any(%s))",
            [self.publications],
        ).fetchone() or ([],)
        missing = [p for p in self.publications if p not in known]
        if missing:
            raise RealtimeUnavailable(
                f"there is no publication {missing[0]}",
                hint="run `zora-db bootstrap` and `zora-db upgrade`",
            )

    def _create_slot(self, plugin: str) -> str:
        for candidate in ("wal2json", "pgoutput") if plugin == "auto" else (plugin,):
            try:
                self.conn.execute(
                    "select pg_catalog.pg_create_logical_replication_slot(%s, %s, true)",
                    [self.slot, candidate],
                )
                return candidate
            except psycopg.errors.InsufficientPrivilege as exc:
                raise RealtimeUnavailable(
                    "this role may not create a replication slot",
                    hint="connect as a superuser or a role with REPLICATION",
                ) from exc
            except psycopg.errors.UndefinedFile:
                if plugin != "auto":
                    raise RealtimeUnavailable(
                        f"the server has no {candidate} output plugin",
                        hint="install it (Debian: postgresql-NN-wal2json) or use pgoutput",
                    ) from None
        raise AssertionError("pgoutput is built into PostgreSQL")

    def read(self, until: str | None = None) -> list[Change]:
        """What was committed since the last read: up to the LSN ``until``, or MAX_CHANGES."""
        limit = None if until else MAX_CHANGES
        if self.plugin == "pgoutput":
            rows = self.conn.execute(
                "select data from pg_catalog.pg_logical_slot_get_binary_changes("
                "%s, %s, %s, 'proto_version', '1', 'publication_names', %s)",
                [self.slot, until, limit, ",".join(self.publications)],
            ).fetchall()
            return list(self._pgoutput.decode([bytes(d) for (d,) in rows]))
        publication = self.conn.execute(
            _PUBLICATION_SQL, [self.publications, self.publications]
        ).fetchone()
        actions, tables = publication if publication else ("", [])
        options: list[str] = [x for pair in WAL2JSON_OPTIONS for x in pair]
        options += ["actions", actions, "add-tables", ",".join(map(_wal2json_table, tables))]
        query = sql.SQL(
            "select data from pg_catalog.pg_logical_slot_get_changes(%s, %s, %s, {})"
        ).format(sql.SQL(", ").join(sql.Placeholder() * len(options)))
        rows = self.conn.execute(query, [self.slot, until, limit, *options]).fetchall()
        if not tables or not actions:
            return []  # Realtime drops what it reads while the publication is empty
        return [c for (data,) in rows if (c := from_wal2json(data)) is not None]

    def close(self) -> None:
        self.conn.close()  # a temporary slot goes with its session

    def __enter__(self) -> ChangeStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
