"""vendors and customers can move order statuses through the API

Revision ID: 0012
Revises: 0011

check_order_transition runs as the caller (it needs no rights of its own),
and calls private.order_transition_allowed, whose EXECUTE 0004 revoked from
PUBLIC and never granted back: every status change by an `authenticated`
request failed with 42501 before the transition was even judged. Only the
owner and superusers (migrations, the seed) could move an order. The access
matrix's attacks found it (a vendor confirming their own order).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    grant execute on function
      private.order_transition_allowed(public.order_status, public.order_status)
      to authenticated, service_role;
    """)


def downgrade() -> None:
    op.execute("""
    revoke execute on function
      private.order_transition_allowed(public.order_status, public.order_status)
      from authenticated, service_role;
    """)
