"""The Supabase compatibility layer: install it on vanilla PostgreSQL, check for it."""

from __future__ import annotations

import enum
from importlib.resources import files
from typing import Any

from zora_db.db import connect
from zora_db.errors import CompatLayerMissing

# What the layer writes on the auth schema it creates: an auth schema without
# it was made by someone else (Supabase's GoTrue) and is left alone.
LAYER_MARKER = "zora-db Supabase compatibility layer"

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
    """Install the Supabase compatibility layer (idempotent; a no-op on Supabase).

    The roles are the server's (made where missing, never altered); the rest
    belongs to the one database ``url`` names. Whether a database is
    Supabase's is a fact of that database, not of the server: on a Supabase
    server only the database ``postgres`` is set up, and a database created
    beside it gets the layer like any other.
    """
    with connect(url) as conn:
        if is_supabase(conn):
            return BootstrapOutcome.SUPABASE
        conn.execute(roles_sql())
        conn.execute(bootstrap_sql())
        conn.commit()
    return BootstrapOutcome.INSTALLED


def bootstrap_roles(url: str) -> None:
    """Only the cluster half: the roles, where missing (throwaway and dev servers)."""
    with connect(url) as conn:
        conn.execute(roles_sql())
        conn.commit()


def bootstrap_sql() -> str:
    """The layer's database half, as shipped in the package."""
    return files("zora_db").joinpath("compat.sql").read_text(encoding="utf-8")


def roles_sql() -> str:
    """The layer's cluster half (roles), as shipped in the package."""
    return files("zora_db").joinpath("compat_roles.sql").read_text(encoding="utf-8")


def is_supabase(conn: Any) -> bool:
    """Whether this database's ``auth`` schema is Supabase's own (not the layer's)."""
    row = conn.execute(
        "select to_regnamespace('auth') is not null"
        " and obj_description(to_regnamespace('auth'), 'pg_namespace')"
        " is distinct from %s",
        [LAYER_MARKER],
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
    if not missing:
        return
    if is_supabase(conn):
        hint = (
            "its auth schema is Supabase's, so `zora-db bootstrap` leaves it alone: these come "
            "with the platform (update the project; Realtime Authorization brings "
            "realtime.messages)"
        )
    else:
        hint = (
            "run `zora-db bootstrap` against it once, as a superuser or as the database's "
            "owner (never needed on a Supabase project's own database)"
        )
    raise CompatLayerMissing(
        f"this database lacks the Supabase compatibility layer (missing: {', '.join(missing)})",
        hint=hint,
    )
