"""Catch-up, proven alongside the realtime scenario: every subscription resumed after every step.

Before the scenario each contract subscription (and unfiltered probes of the
private tables, as an attacker would open them) starts from a null cursor.
After each step it resumes through ``public.sync_changes``, a few changes a
page, as its person, and is judged against what that person may SELECT:

* a **gap**: a row the person may see, or its current version, is missing;
* a **divergence**: the replica holds a row the person may no longer see;
* a **leak**: a page names a row the person could not see at any point;
* a **split**: a page ends inside a transaction while holding another one
  (read from the log itself, as the person: its row level security shows
  them the entries their pages are made of).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg

from zora_db.acting import acting_as
from zora_db.catchup import Page, Replica, catch_up, pages_of, visible_versions
from zora_db.contract import APP_SUBSCRIPTIONS
from zora_db.verify.actors import ALICE, ANON, BOB, CAMDEN, Actor

PAGE_LIMIT = 3  # small pages, so the scenario's transactions cross page ends
PROBED_TABLES = ("cart_items", "notifications", "orders", "order_items", "products")
PROBERS = (ANON, ALICE, BOB, CAMDEN)
CHECKS = ("no gap", "no divergence", "no leaked key", "no page ends inside a transaction")


@dataclass
class Resumed:
    """One subscription as its app resumes it."""

    name: str
    actor: Actor
    replica: Replica
    ever_seen: set[str] = field(default_factory=set)


class CatchUpJudge:
    """Resumes every subscription after each step of the scenario and records what is wrong."""

    def __init__(self, conn: psycopg.Connection[Any], subscribers: dict[str, tuple[Actor, ...]]):
        self.conn = conn
        self.problems: dict[str, list[str]] = defaultdict(list)
        self.resumed = [
            Resumed(
                f"catch-up: {entry.name} ({actor.key})",
                actor,
                Replica(
                    entry.table.removeprefix("public."),
                    entry.filter.format(uid=actor.uid, shop=actor.shop),
                ),
            )
            for entry in APP_SUBSCRIPTIONS
            for actor in subscribers[entry.subscriber]
        ] + [
            Resumed(f"catch-up probe: {table} ({actor.key})", actor, Replica(table))
            for table in PROBED_TABLES
            for actor in PROBERS
        ]

    def after_step(self, step: str) -> None:
        for r in self.resumed:
            self._resume(step, r)

    def _resume(self, step: str, r: Resumed) -> None:
        with self.conn.transaction(), acting_as(self.conn, r.actor.uid):
            try:
                everything = visible_versions(self.conn, r.replica.table)
            except psycopg.errors.InsufficientPrivilege:
                return  # the person may not read the table at all: no subscription
        r.ever_seen |= set(everything)

        def judged(page: Page, before: str | None) -> None:
            leaked = {str(c["id"]) for c in page["changes"]} - r.ever_seen
            if leaked:
                self.problems["no leaked key"].append(
                    f"{r.name}, after {step}: named {len(leaked)} row(s) never visible to them"
                )
            if page["more"] and self._ends_inside_a_transaction(r, before, page["cursor"]):
                self.problems["no page ends inside a transaction"].append(
                    f"{r.name}, after {step}: a page ended inside a transaction beside another"
                )

        cursors: list[str | None] = [r.replica.cursor]

        def on_page(page: Page) -> None:
            judged(page, cursors[-1])
            cursors.append(page["cursor"])

        with self.conn.transaction(), acting_as(self.conn, r.actor.uid):
            catch_up(pages_of(self.conn, r.replica, PAGE_LIMIT), r.replica, on_page=on_page)
            goal = visible_versions(self.conn, r.replica.table, r.replica.filter)
        held = r.replica.versions()
        missing = {k for k, v in goal.items() if held.get(k) != v}
        extra = set(held) - set(goal)
        if missing:
            self.problems["no gap"].append(
                f"{r.name}, after {step}: {len(missing)} row(s) missing or stale"
            )
        if extra:
            self.problems["no divergence"].append(
                f"{r.name}, after {step}: holds {len(extra)} row(s) no longer visible"
            )

    def _ends_inside_a_transaction(self, r: Resumed, before: str | None, after: str) -> bool:
        """Whether the log has more of the page's last transaction, and the page held another.

        Read as the person (the caller of the page), so the log's own row level
        security shows exactly the entries ``sync_changes`` read for them.
        """
        start, end = _position(before), _position(after)
        if end is None:
            return False
        row = self.conn.execute(
            """
            select exists (select from private.changes c where c.tbl = %(t)s
                             and c.xid = %(x)s::xid8 and c.seq > %(s)s),
                   (select count(distinct c.xid) from private.changes c where c.tbl = %(t)s
                      and (c.xid, c.seq) > (%(x0)s::xid8, %(s0)s)
                      and (c.xid, c.seq) <= (%(x)s::xid8, %(s)s))
            """,
            {
                "t": r.replica.table,
                "x": end[0],
                "s": end[1],
                "x0": start[0] if start else "0",
                "s0": start[1] if start else 0,
            },
        ).fetchone()
        assert row is not None
        return bool(row[0]) and int(row[1]) > 1


def _position(cursor: str | None) -> tuple[str, int] | None:
    """(xid, seq) of a log cursor; None for a start's cursor or none."""
    if cursor is None:
        return None
    parts = cursor.split(":")
    if len(parts) != 5 or parts[2] != "c":
        return None
    return parts[3], int(parts[4])


def outcomes(judge: CatchUpJudge) -> list[tuple[str, bool, str]]:
    result = []
    for name in CHECKS:
        problems = judge.problems.get(name, [])
        detail = "; ".join(problems[:3]) + (
            f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        )
        result.append((f"catch-up: {name}", not problems, detail))
    return result
