"""private schema for helpers the API must not expose

Revision ID: 0001
Revises:

SECURITY DEFINER helpers that policies call live here, outside the schemas
PostgREST exposes (Supabase's advice); the API roles may use them, not list
or create in it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    create schema private;
    revoke all on schema private from public;
    grant usage on schema private to anon, authenticated, service_role;
    comment on schema private is 'helpers for policies and triggers; not exposed by the API'
    """)


def downgrade() -> None:
    op.execute("drop schema private")
