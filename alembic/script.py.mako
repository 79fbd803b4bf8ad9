"""${message}
${context.get("summary", "")}
Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}

Migrations are immutable once merged: carry the SQL inline, never read sql/
at run time. Each runs in its own transaction with lock_timeout and
statement_timeout set (see zora_db.settings.MigrationSettings).
"""

from collections.abc import Sequence

from alembic import op
${imports if imports else ""}
revision: str = ${repr(up_revision).replace("'", '"')}
down_revision: str | Sequence[str] | None = ${repr(down_revision).replace("'", '"')}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels).replace("'", '"')}
depends_on: str | Sequence[str] | None = ${repr(depends_on).replace("'", '"')}


def upgrade() -> None:
    ${upgrades if upgrades else 'op.execute("""\n    """)'}


def downgrade() -> None:
    ${downgrades if downgrades else 'op.execute("""\n    """)'}
