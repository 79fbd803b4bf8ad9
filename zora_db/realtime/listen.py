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

from zora_db.catalog import introspect_connection
from zora_db.contract import REALTIME_PUBLICATION
from zora_db.db import connect
from zora_db.errors import ConfigError
from zora_db.realtime.delivery import Deliverer, Delivery
from zora_db.realtime.stream import ChangeStream
from zora_db.realtime.subscriptions import Subscription

POLL_INTERVAL_S = 0.1  # Realtime's


def claims_for(who: str) -> dict[str, Any]:
    """JWT claims for ``--as``: a user id, ``anon`` or ``service_role``."""
    if who in ("anon", "service_role"):
        return {"role": who}
    try:
        return {"sub": str(uuid.UUID(who)), "role": "authenticated"}
    except ValueError:
        raise ConfigError(
            f"--as {who!r} is neither a user id nor anon",
            hint="pass a user's uuid (auth.users.id), anon or service_role",
        ) from None


def listen(
    url: str,
    subscriptions: list[Subscription],
    on_delivery: Callable[[Delivery], None],
    *,
    on_ready: Callable[[ChangeStream, list[str]], None] = lambda _s, _u: None,
    stop: Callable[[], bool] = lambda: False,
    plugin: str = "auto",
) -> None:
    """Deliver what ``subscriptions`` receive until ``stop()`` or an interrupt."""
    # The slot first: it is what needs the most privileges, and says so in one line.
    with ChangeStream(url, plugin=plugin) as stream, connect(url) as conn:
        catalog = introspect_connection(conn)
        deliverer = Deliverer(conn, catalog)
        for subscription in subscriptions:
            deliverer.validate(subscription)
        publication = catalog.publication(REALTIME_PUBLICATION)
        published = set(publication.tables) if publication else set()
        on_ready(stream, sorted({s.table for s in subscriptions} - published))
        while not stop():
            changes = stream.read()
            for change in changes:
                for delivery in deliverer.decide(change, subscriptions):
                    on_delivery(delivery)
            if not changes:
                time.sleep(POLL_INTERVAL_S)
