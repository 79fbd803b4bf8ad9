"""The Supabase compatibility layer: install it on vanilla PostgreSQL, check for it."""

from __future__ import annotations

import enum
from importlib.resources import files
from typing import Any

from zora_db.db import connect
from zora_db.errors import CompatLayerMissing

# Roles only a real Supabase database has; seeing one means "leave it alone".
SUPABASE_MARKER_ROLES = ("supabase_admin", "supabase_auth_admin")

_MISSING_PIECES_SQL = """
select array_remove(array[
  case when to_regrole('anon') is null then 'role anon' end,
  case when to_regrole('authenticated') is null then 'role authenticated' end,
  case when to_regrole('service_role') is null then 'role service_role' end,
  case when to_regnamespace('auth') is null then 'schema auth' end,
  case when to_regnamespace('extensions') is null then 'schema extensions' end,
  case when to_regclass('auth.users') is null then 'table auth.users' end,
  case when to_regprocedure('auth.uid()') is null then 'function auth.uid()' end,
  case when to_regprocedure('auth.role()') is null then 'function auth.role()' end,
  case when to_regprocedure('auth.jwt()') is null then 'function auth.jwt()' end,
  case when to_regclass('realtime.messages') is null then 'table realtime.messages' end,
  case when to_regprocedure('realtime.topic()') is null then 'function realtime.topic()' end,
  case when to_regprocedure('realtime.send(jsonb, text, text, boolean)') is null
       then 'function realtime.send()' end,
  case when not exists (select from pg_catalog.pg_publication
                        where pubname = 'supabase_realtime')
       then 'publication supabase_realtime' end
], null)
"""


class BootstrapOutcome(enum.Enum):
    INSTALLED = "installed"
    SUPABASE = "supabase"  # a real Supabase database: nothing touched


def bootstrap(url: str) -> BootstrapOutcome:
    """Install the Supabase compatibility layer (idempotent; a no-op on Supabase)."""
    with connect(url) as conn:
        if is_supabase(conn):
            return BootstrapOutcome.SUPABASE
        conn.execute(bootstrap_sql())
        conn.commit()
    return BootstrapOutcome.INSTALLED


def bootstrap_sql() -> str:
    """The layer's SQL, as shipped in the package."""
    return files("zora_db").joinpath("compat.sql").read_text(encoding="utf-8")


def is_supabase(conn: Any) -> bool:
    """Whether the connection is to a real Supabase database."""
    row = conn.execute(
        "select exists (select from pg_catalog.pg_roles where rolname = any(%s))",
        [list(SUPABASE_MARKER_ROLES)],
    ).fetchone()
    return bool(row and row[0])


def missing_pieces(conn: Any) -> list[str]:
    """What of the layer this database lacks (empty when complete).

    ``conn`` is a psycopg connection or anything with a compatible ``execute``
    (the Alembic environment passes its driver connection).
    """
    row = conn.execute(_MISSING_PIECES_SQL).fetchone()
    return list(row[0]) if row else []


def require_compat_layer(conn: Any) -> None:
    """Raise :class:`CompatLayerMissing` unless the layer (or Supabase) is there."""
    missing = missing_pieces(conn)
    if missing:
        raise CompatLayerMissing(
            f"this database lacks the Supabase compatibility layer (missing: {', '.join(missing)})",
            hint="run `zora-db bootstrap` against it once (never needed on Supabase itself)",
        )
