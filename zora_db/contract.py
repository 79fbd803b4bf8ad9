"""What the Zora apps rely on, stated once for the linter and verification.

Migrations never import this (they are immutable history); the linter and
``zora-db verify`` check that the database still honours it.
"""

from __future__ import annotations

REALTIME_PUBLICATION = "supabase_realtime"

# The seed plan's 016: the tables the apps subscribe to with postgres_changes.
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

# Tables whose subscribers read the previous row (`old`): REPLICA IDENTITY FULL.
FULL_REPLICA_IDENTITY = ("public.orders",)

# Schemas PostgREST serves (Supabase's pgrst.db_schemas default).
EXPOSED_SCHEMAS = ("public",)
