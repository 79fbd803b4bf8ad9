"""Realtime as the apps receive it: decoded changes, subscriptions, Supabase Realtime's rules.

``ChangeStream`` reads the publication (wal2json, as Realtime does, or
pgoutput), ``Subscription`` is one client's ``postgres_changes`` binding and
``Deliverer`` decides who receives each change with which payload. ``verify``,
the tests, the benchmarks and ``zora-db listen`` all use this one engine.
"""

from zora_db.realtime.changes import Change, Value
from zora_db.realtime.delivery import Deliverer, Delivery
from zora_db.realtime.stream import ChangeStream
from zora_db.realtime.subscriptions import Filter, Subscription, parse_filters

__all__ = [
    "Change",
    "ChangeStream",
    "Deliverer",
    "Delivery",
    "Filter",
    "Subscription",
    "Value",
    "parse_filters",
]
