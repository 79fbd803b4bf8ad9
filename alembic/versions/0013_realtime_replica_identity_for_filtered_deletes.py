"""realtime: the whole old row of cart items and products, so filtered DELETEs arrive

Revision ID: 0013
Revises: 0012

Supabase Realtime matches a DELETE against the replica identity in the WAL.
With the default identity that is the primary key alone, so a filter on any
other column never matches and the event is never sent: the customer app's
cart (`cart_items`, `user_id=eq.<uid>`) never learned that an item was
removed on another device, and the vendor portal's products
(`vendor_id=eq.<shop>`) never learned of a deletion. `zora-db verify` played
both and saw nothing arrive.

REPLICA IDENTITY FULL writes the whole old row to the WAL on every UPDATE and
DELETE of these two tables: a few hundred bytes a change, on tables written
at human speed. Under row level security Realtime still sends subscribers
only the key of a deleted row; the filter is what needs the other columns.

Only a catalog flag changes (ACCESS EXCLUSIVE lock, no rewrite).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    alter table public.cart_items replica identity full;
    alter table public.products replica identity full;
    """)


def downgrade() -> None:
    op.execute("""
    alter table public.products replica identity default;
    alter table public.cart_items replica identity default;
    """)
