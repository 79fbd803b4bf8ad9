"""``zora-db listen``: what one user's subscription would receive, live.

A temporary slot on the realtime publication is polled every 100 ms (as
Realtime polls), each change is decided with Realtime's rules for the given
subscriptions and every delivery handed to ``on_delivery``. The slot is
temporary: it goes with the connection, however the loop ends.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from zora_db.acting import claims_for
from zora_db.catalog import introspect_connection
from zora_db.contract import REALTIME_PUBLICATION
from zora_db.db import connect
from zora_db.errors import ConfigError
from zora_db.realtime.delivery import Deliverer, Delivery
from zora_db.realtime.stream import ChangeStream
from zora_db.realtime.subscriptions import Subscription

POLL_INTERVAL_S = 0.1  # Realtime's


def claims_named(who: str) -> dict[str, Any]:
    """JWT claims for ``--as``: a user id, ``anon`` or ``service_role``."""
    if who in ("anon", "service_role"):
        return dict(claims_for(None, who))
    try:
        return dict(claims_for(uuid.UUID(who)))
    except ValueError:
        raise ConfigError(
            f"--as {who!r} is neither a user id nor anon",
            hint="pass a user's uuid (auth.users.id), anon or service_role",
        ) from None


def listen(
    url: str,
    claims: dict[str, Any],
    on_delivery: Callable[[Delivery], None],
    *,
    table: str | None = None,
    filter_: str = "",
    event: str = "*",
    on_ready: Callable[[ChangeStream, list[Subscription], list[str]], None] = (
        lambda _s, _subs, _u: None
    ),
    stop: Callable[[], bool] = lambda: False,
    plugin: str = "auto",
) -> None:
    """Deliver what a subscriber with ``claims`` receives until ``stop()`` or an interrupt.

    One subscription to ``table`` (with ``filter_``), or without a table one
    per table of the realtime publication, as a schema-wide subscription does.
    """
    # The slot first: it is what needs the most privileges, and says so in one line.
    with ChangeStream(url, plugin=plugin) as stream, connect(url) as conn:
        catalog = introspect_connection(conn)
        publication = catalog.publication(REALTIME_PUBLICATION)
        published = publication.tables if publication else ()
        subscriptions = (
            [Subscription(table, claims, event, filter_)]
            if table
            else [Subscription(t, claims, event) for t in published]
        )
        deliverer = Deliverer(conn, catalog)
        for subscription in subscriptions:
            deliverer.validate(subscription)
        on_ready(stream, subscriptions, sorted({s.table for s in subscriptions} - set(published)))
        while not stop():
            changes = stream.read()
            for change in changes:
                for delivery in deliverer.decide(change, subscriptions):
                    on_delivery(delivery)
            if not changes:
                time.sleep(POLL_INTERVAL_S)
