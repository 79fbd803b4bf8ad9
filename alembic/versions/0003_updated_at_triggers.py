"""updated_at maintained on every table that has the column

Revision ID: 0003
Revises: 0002

The seed's migration 018 names five tables; this covers all twelve that
have the column. Every UPDATE sets it, as the seed's does: a WHEN (old.* is
distinct from new.*) filter is not allowed on tables with generated columns
(vendors, products, orders), and one rule for all tables is easier to trust.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "profiles",
    "vendors",
    "categories",
    "products",
    "addresses",
    "cart_items",
    "orders",
    "payments",
    "reviews",
    "conversations",
    "device_tokens",
    "system_config",
)


def upgrade() -> None:
    op.execute("""
    create function private.set_updated_at() returns trigger
      language plpgsql
      set search_path = ''
    as $$
    begin
      new.updated_at := pg_catalog.now();
      return new;
    end
    $$;
    revoke all on function private.set_updated_at() from public;
    """)
    for table in TABLES:
        op.execute(f"""
        create trigger set_updated_at before update on public.{table}
          for each row
          execute function private.set_updated_at();
        """)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"drop trigger set_updated_at on public.{table}")
    op.execute("drop function private.set_updated_at()")
