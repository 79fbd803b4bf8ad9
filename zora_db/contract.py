"""What the Zora apps rely on, stated once for the linter, verification and the tests.

Migrations never import this (they are immutable history); the linter and
``zora-db verify`` check that the database still honours it.

``APP_SUBSCRIPTIONS`` are the ``postgres_changes`` subscriptions the seed
plan's apps open (its RealtimeManager, hooks and providers): the table, the
filter, the events each one handles, and the payload fields it reads for each
event. All of them subscribe to every event (``*``, the plan's default); the
events they handle are the ones that must arrive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

REALTIME_PUBLICATION = "supabase_realtime"

# The seed plan's 016 (and the tables the apps' screens refresh from): the publication.
REALTIME_TABLES = (
    "public.cart_items",
    "public.conversations",
    "public.messages",
    "public.notifications",
    "public.order_items",
    "public.orders",
    "public.products",
    "public.profiles",
    "public.reviews",
    "public.vendors",
)

# Schemas PostgREST serves (Supabase's pgrst.db_schemas default).
EXPOSED_SCHEMAS = ("public",)
# The PostgREST the apps talk to, and the API tests run (its npm build is pinned from this).
POSTGREST_VERSION = "12.0.2"

WHOLE_ROW = ("new.*",)  # the app keeps or replaces the whole row it is given


@dataclass(frozen=True)
class AppSubscription:
    """One subscription an app opens, and what it needs from it."""

    app: str  # "customer app", "vendor portal", "admin dashboard", "every app"
    subscriber: str  # who opens it: "customer", "vendor", "admin" or "anyone"
    table: str
    filter: str = ""  # {uid}: the signed-in user; {shop}: the vendor's shop
    needs: tuple[str, ...] = ()  # events it handles: these must arrive
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # event -> "new.x"

    @property
    def name(self) -> str:
        where = f" {self.filter}" if self.filter else ""
        return f"{self.app}: {self.table}{where}"

    def old_fields(self) -> set[str]:
        """The previous row's columns it reads (``old.x``)."""
        return {
            f.removeprefix("old.")
            for fields in self.reads.values()
            for f in fields
            if f.startswith("old.")
        }


APP_SUBSCRIPTIONS = (
    AppSubscription(
        "customer app",
        "customer",
        "public.notifications",
        "user_id=eq.{uid}",
        needs=("INSERT", "UPDATE"),
        reads={"INSERT": WHOLE_ROW, "UPDATE": WHOLE_ROW},
    ),
    AppSubscription(
        "customer app",
        "customer",
        "public.orders",
        "user_id=eq.{uid}",
        needs=("INSERT", "UPDATE"),
        reads={"INSERT": WHOLE_ROW, "UPDATE": (*WHOLE_ROW, "old.status")},
    ),
    AppSubscription(
        "customer app",
        "customer",
        "public.cart_items",
        "user_id=eq.{uid}",
        needs=("INSERT", "UPDATE", "DELETE"),
        reads={"INSERT": WHOLE_ROW, "UPDATE": WHOLE_ROW, "DELETE": ("old.id",)},
    ),
    AppSubscription(
        "vendor portal",
        "vendor",
        "public.orders",
        "vendor_id=eq.{shop}",
        needs=("INSERT", "UPDATE"),
        # The "New Order Received!" toast: "Order #<id> - <total>".
        reads={"INSERT": ("new.id", "new.total")},
    ),
    AppSubscription(
        "vendor portal",
        "vendor",
        "public.products",
        "vendor_id=eq.{shop}",
        needs=("UPDATE", "DELETE"),
    ),
    AppSubscription(
        "admin dashboard",
        "admin",
        "public.orders",
        needs=("INSERT", "UPDATE"),
    ),
    AppSubscription(
        "admin dashboard",
        "admin",
        "public.vendors",
        "is_verified=eq.false",
        needs=("INSERT",),
    ),
    AppSubscription(
        "every app",
        "anyone",
        "public.products",
        needs=("INSERT", "UPDATE", "DELETE"),
        reads={"UPDATE": WHOLE_ROW},  # useRealtimeSubscription replaces the cached row
    ),
    AppSubscription(
        "every app",
        "anyone",
        "public.reviews",
        needs=("INSERT",),
        reads={"INSERT": WHOLE_ROW},
    ),
    AppSubscription(
        "every app",
        "anyone",
        "public.vendors",
        needs=("UPDATE",),
        reads={"UPDATE": WHOLE_ROW},
    ),
)


@dataclass(frozen=True)
class PrivateChannel:
    """A private Realtime channel: realtime.messages' policies say who joins and who writes."""

    topic: str
    extension: str  # "broadcast" or "presence"
    readers: tuple[str, ...]  # kinds of user who may join it and receive
    writers: tuple[str, ...]  # kinds of user who may send (broadcast) or track (presence)


PRIVATE_CHANNELS = (
    # The admin dashboard's announcements to every signed-in user.
    PrivateChannel(
        "platform-announcements",
        "broadcast",
        readers=("customer", "vendor", "admin"),
        writers=("admin",),
    ),
    # Which admins are online: for admins only.
    PrivateChannel("admin-dashboard", "presence", readers=("admin",), writers=("admin",)),
)

# Many-to-one embeds the generated types leave out although the catalog alone
# cannot tell (gen-types also leaves out those it can: a table everyone reads
# in full pointing at one they do not). Each hides rows on the demo data for
# the reader named, so supabase-js would type as a row what arrives as null;
# `zora-db verify` ("embeds") fails on any embed that hides a row and is typed.
UNTYPED_EMBEDS: Mapping[str, str] = {
    "messages_sender_id_fkey": "a customer does not read the profile of the shop's owner",
    "order_status_history_changed_by_fkey": "a customer does not read who moved the order",
    "vendors_user_id_fkey": "nobody but its owner and the admins reads a shop owner's profile",
}
