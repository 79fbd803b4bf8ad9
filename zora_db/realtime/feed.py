"""The change engine running for a server: one slot, polled in a thread, results handed to a loop.

Realtime reads the tables' changes (``supabase_realtime``) and the messages
``realtime.send`` inserts (``supabase_realtime_messages_publication``, made
by Realtime itself if missing) from the database. ``ChangeFeed`` does both
through one temporary slot, every 100 ms as Realtime polls, with the
synchronous engine (``ChangeStream``, ``Deliverer``) in its own thread: the
event loop never waits on the database. Subscriptions are added and removed
through the same thread, so a subscription is in place before its "Subscribed
to PostgreSQL" is sent and no decision ever sees half a change of set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zora_db.catalog import introspect_connection
from zora_db.contract import REALTIME_PUBLICATION
from zora_db.db import connect, connect_raw
from zora_db.errors import ZoraDbError
from zora_db.realtime.changes import Change
from zora_db.realtime.delivery import Deliverer, Delivery
from zora_db.realtime.listen import POLL_INTERVAL_S
from zora_db.realtime.stream import ChangeStream
from zora_db.realtime.subscriptions import Subscription

MESSAGES_PUBLICATION = "supabase_realtime_messages_publication"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseBroadcast:
    """A row ``realtime.send`` inserted: Realtime broadcasts it with ``meta.id``."""

    id: str
    topic: str
    event: str
    payload: Any
    private: bool


@dataclass(frozen=True)
class Decided:
    """One change's deliveries, each with the ``columns`` Realtime sends to its role."""

    change: Change
    deliveries: list[tuple[Delivery, list[dict[str, str]]]]


def wire_data(delivery: Delivery, columns: list[dict[str, str]]) -> dict[str, Any]:
    """A delivery as Realtime puts it on the wire (``data`` of a ``postgres_changes`` event)."""
    payload = delivery.payload
    action = payload["eventType"]
    data: dict[str, Any] = {
        "schema": payload["schema"],
        "table": payload["table"],
        "commit_timestamp": payload["commit_timestamp"],
        "type": action,
        "columns": columns,
        "errors": payload["errors"],
    }
    if action in ("INSERT", "UPDATE"):
        data["record"] = payload["new"]
    if action in ("UPDATE", "DELETE"):
        data["old_record"] = payload["old"]
    return data


def _is_message(change: Change) -> bool:
    # Realtime's messages arrive under the day's partition: realtime.messages_2026_12_07.
    return change.schema == "realtime" and change.table.startswith("messages")


def _broadcast_of(change: Change) -> DatabaseBroadcast | None:
    row = change.new()
    if change.action != "INSERT" or not row.get("topic") or not row.get("event"):
        return None
    text = row.get("payload")
    return DatabaseBroadcast(
        id=str(row.get("id")),
        topic=str(row["topic"]),
        event=str(row["event"]),
        payload=None if text is None else json.loads(text, parse_float=Decimal),
        private=row.get("private") in ("true", "t"),
    )


class ChangeFeed:
    """Decides every change for the subscriptions it holds and hands the results to ``loop``."""

    def __init__(
        self,
        url: str,
        loop: asyncio.AbstractEventLoop,
        on_changes: Callable[[list[Decided]], None],
        on_broadcasts: Callable[[list[DatabaseBroadcast]], None],
    ) -> None:
        self.url = url
        self.loop = loop
        self.on_changes = on_changes
        self.on_broadcasts = on_broadcasts
        self._requests: queue.Queue[tuple[str, list[Subscription], Future[str | None]]] = (
            queue.Queue()
        )
        self._subscriptions: list[Subscription] = []
        self.published: tuple[str, ...] = ()  # the realtime publication's tables, at start
        self._stopping = threading.Event()
        self._ready: Future[str] = Future()
        self._thread = threading.Thread(target=self._run, name="zora-realtime-feed", daemon=True)

    def start(self) -> str:
        """Open the slot (raising what stops it); the plugin it reads."""
        self._thread.start()
        return self._ready.result()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    async def subscribe(self, subscriptions: list[Subscription]) -> str | None:
        """Add ``subscriptions``; None, or why Realtime would refuse them (nothing added)."""
        return await self._ask("subscribe", subscriptions)

    async def unsubscribe(self, subscriptions: list[Subscription]) -> None:
        await self._ask("unsubscribe", subscriptions)

    async def _ask(self, verb: str, subscriptions: list[Subscription]) -> str | None:
        answer: Future[str | None] = Future()
        self._requests.put((verb, subscriptions, answer))
        return await asyncio.wrap_future(answer)

    # ----------------------------------------------------------------- the thread

    def _run(self) -> None:
        try:
            with connect(self.url, autocommit=True) as admin:
                admin.execute(
                    f"do $$ begin if not exists (select from pg_catalog.pg_publication "
                    f"where pubname = '{MESSAGES_PUBLICATION}') then "
                    f"create publication {MESSAGES_PUBLICATION} for table realtime.messages; "
                    f"end if; end $$"
                )
            stream = ChangeStream(self.url, also=(MESSAGES_PUBLICATION,))
            conn = connect_raw(self.url)
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        with stream, conn:
            catalog = introspect_connection(conn)
            publication = catalog.publication(REALTIME_PUBLICATION)
            self.published = tuple(publication.tables) if publication else ()
            deliverer = Deliverer(conn, catalog)
            conn.rollback()
            self._ready.set_result(stream.plugin)
            while not self._stopping.is_set():
                self._serve_requests(deliverer)
                try:
                    changes = stream.read()
                    self._dispatch(deliverer, changes)
                except Exception:
                    log.exception("the change feed failed to read or decide a change")
                    conn.rollback()
                    changes = []
                if not changes:
                    self._wait()

    def _wait(self) -> None:
        """Sleep a poll interval, or less if a request arrives."""
        try:
            request = self._requests.get(timeout=POLL_INTERVAL_S)
        except queue.Empty:
            return
        self._requests.put(request)

    def _serve_requests(self, deliverer: Deliverer) -> None:
        while True:
            try:
                verb, subscriptions, answer = self._requests.get_nowait()
            except queue.Empty:
                return
            if verb == "unsubscribe":
                gone = {id(s) for s in subscriptions}
                self._subscriptions = [s for s in self._subscriptions if id(s) not in gone]
                answer.set_result(None)
                continue
            try:
                for subscription in subscriptions:
                    deliverer.validate(subscription)
            except ZoraDbError as exc:
                answer.set_result(str(exc))
                continue
            self._subscriptions = [*self._subscriptions, *subscriptions]
            answer.set_result(None)

    def _dispatch(self, deliverer: Deliverer, changes: list[Change]) -> None:
        decided, broadcasts = [], []
        for change in changes:
            if _is_message(change):
                if (broadcast := _broadcast_of(change)) is not None:
                    broadcasts.append(broadcast)
                continue
            deliveries = deliverer.decide(change, self._subscriptions)
            if deliveries:
                # The columns depend on the role only: listed once per role, not per delivery.
                roles = {d.subscription.role for d in deliveries}
                columns = {r: deliverer.columns(change.qualified, r) for r in roles}
                decided.append(
                    Decided(change, [(d, columns[d.subscription.role]) for d in deliveries])
                )
        deliverer.conn.rollback()
        if decided:
            self.loop.call_soon_threadsafe(self.on_changes, decided)
        if broadcasts:
            self.loop.call_soon_threadsafe(self.on_broadcasts, broadcasts)
