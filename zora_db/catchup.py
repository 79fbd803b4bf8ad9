"""Catch-up as an app does it: ``public.sync_changes`` pages applied to a local replica.

The database side is migration 0022; this is the client half docs/realtime.md
describes, used by ``zora-db sync``, ``verify`` and the tests, so that what
they prove is what an app following it gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from zora_db.acting import become
from zora_db.db import connect
from zora_db.errors import SubscriptionError
from zora_db.realtime.subscriptions import parse_filters

Page = dict[str, Any]
# A page that would loop for ever is a bug in the function: stop and say so.
MAX_PAGES = 100_000


@dataclass
class Replica:
    """The rows one subscription holds, by id, and the cursor to resume from."""

    table: str
    filter: str = ""
    cursor: str | None = None
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: int = 0
    resets: int = 0

    def apply(self, page: Page) -> None:
        """Apply one page, as docs/realtime.md's rule says (idempotent; in page order)."""
        self.pages += 1
        if page["reset"]:
            self.rows.clear()
            self.cursor = None
            self.resets += 1
            return
        for change in page["changes"]:
            held = self.rows.get(change["id"])
            if held is not None and held["version"] > change["version"]:
                continue  # a Realtime event already brought a newer version
            if change["op"] == "upsert":
                self.rows[change["id"]] = change["row"]
            else:
                self.rows.pop(change["id"], None)
        self.cursor = page["cursor"]

    def versions(self) -> dict[str, int]:
        return {row_id: int(row["version"]) for row_id, row in self.rows.items()}


def sync_page(
    conn: Any, table: str, filter_text: str = "", cursor: str | None = None, limit: int = 1000
) -> Page:
    """One call of ``public.sync_changes`` in ``conn``'s current role and claims."""
    row = conn.execute(
        "select public.sync_changes(%s, %s, %s, %s)",
        [table, filter_text or None, cursor, limit],
    ).fetchone()
    page: Page = row[0]
    return page


def catch_up(
    call: Callable[[str | None], Page],
    replica: Replica,
    *,
    on_page: Callable[[Page], None] | None = None,
) -> Replica:
    """Call until ``more`` is false (after a reset, start again), applying every page."""
    for _ in range(MAX_PAGES):
        page = call(replica.cursor)
        replica.apply(page)
        if on_page is not None:
            on_page(page)
        if not (page["more"] or page["reset"]):
            return replica
    raise RuntimeError(f"sync_changes on {replica.table} still had more after {MAX_PAGES} pages")


def pages_of(conn: Any, replica: Replica, limit: int = 1000) -> Callable[[str | None], Page]:
    """The caller ``catch_up`` needs, calling on ``conn`` as it is (role and claims set)."""
    return lambda cursor: sync_page(conn, replica.table, replica.filter, cursor, limit)


def visible_versions(conn: Any, table: str, filter_text: str = "") -> dict[str, int]:
    """What the caller may SELECT that matches the filter, by id: the replica's goal."""
    conditions: list[sql.Composable] = [sql.SQL("true")]
    for f in parse_filters(filter_text):
        column = sql.Identifier(f.column)
        if f.op == "in":
            condition = sql.SQL("{}::text = any({}::text[])").format(column, sql.Literal(f.value))
        else:
            condition = sql.SQL("{} {} {}").format(
                column, sql.SQL(OPERATORS[f.op]), sql.Literal(f.value)
            )
        conditions.append(sql.SQL("not ({})").format(condition) if f.negate else condition)
    query = sql.SQL("select id::text, version from {} where {}").format(
        sql.Identifier(*qualified(table)), sql.SQL(" and ").join(conditions)
    )
    return {row_id: int(version) for row_id, version in conn.execute(query).fetchall()}


OPERATORS = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def qualified(table: str) -> tuple[str, str]:
    schema, _, name = table.rpartition(".")
    return (schema or "public", name)


def sync_as(
    url: str,
    claims: dict[str, Any],
    table: str,
    filter_text: str = "",
    cursor: str | None = None,
    *,
    limit: int = 1000,
    every_page: bool = False,
) -> list[Page]:
    """What ``claims``' user gets from ``sync_changes``: one page, or all while ``more``."""
    pages: list[Page] = []
    with connect(url) as conn:
        while True:
            with conn.transaction():
                become(conn, claims.get("sub"), claims=claims)
                try:
                    page = sync_page(conn, table, filter_text, cursor, limit)
                except psycopg.errors.InvalidParameterValue as exc:
                    raise SubscriptionError(
                        (exc.diag.message_primary or str(exc)).removeprefix("sync_changes: "),
                        hint=exc.diag.message_hint or "see `zora-db sync --help`",
                    ) from None
            pages.append(page)
            if not (every_page and page["more"]):
                return pages
            cursor = page["cursor"]
