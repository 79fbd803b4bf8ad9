"""realtime: the ten tables of the apps' subscriptions in supabase_realtime

Revision ID: 0009
Revises: 0008

The seed's 016 list, exactly. Replica identity, per table:
* orders: FULL. The apps' onUpdate handlers read `old` (status from → to),
  which Realtime only has when the WAL carries the whole previous row.
* every other table: DEFAULT (the primary key). Their subscribers refetch or
  use `new`; DELETE events under RLS carry only the key anyway; FULL would
  write every column of the old row to the WAL on every update for nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REALTIME_TABLES = (
    "orders",
    "order_items",
    "products",
    "vendors",
    "cart_items",
    "notifications",
    "reviews",
    "profiles",
    "conversations",
    "messages",
)


def upgrade() -> None:
    op.execute(
        "alter publication supabase_realtime add table "
        + ", ".join(f"public.{t}" for t in REALTIME_TABLES)
    )
    op.execute("alter table public.orders replica identity full")


def downgrade() -> None:
    op.execute("alter table public.orders replica identity default")
    op.execute(
        "alter publication supabase_realtime drop table "
        + ", ".join(f"public.{t}" for t in REALTIME_TABLES)
    )
