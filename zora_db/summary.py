"""A short account of a database: its revision, tables and realtime publication."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from zora_db.db import connect

_SUMMARY_SQL = """
select
  coalesce((select array_agg(c.relname::text order by c.relname)
            from pg_catalog.pg_class c
            where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
              and c.relname <> 'alembic_version'), '{}'::text[]),
  coalesce((select array_agg(format('%I.%I', schemaname, tablename)
                             order by schemaname, tablename)
            from pg_catalog.pg_publication_tables
            where pubname = 'supabase_realtime'), '{}'::text[]),
  to_regclass('public.alembic_version') is not null
"""


@dataclass(frozen=True)
class DatabaseSummary:
    revision: tuple[str, ...]
    tables: tuple[str, ...]
    publication: tuple[str, ...]


def summarize(url: str) -> DatabaseSummary:
    """Revision, public tables and ``supabase_realtime`` members, in one round trip."""
    with connect(url) as conn:
        row = conn.execute(_SUMMARY_SQL).fetchone()
        assert row is not None
        tables, publication, versioned = row
        revision = _versions(conn) if versioned else ()
    return DatabaseSummary(revision, tuple(tables), tuple(publication))


def current_revision(url: str) -> tuple[str, ...]:
    """The revisions the database is stamped with (empty: never migrated)."""
    with connect(url) as conn:
        row = conn.execute("select to_regclass('public.alembic_version') is not null").fetchone()
        return _versions(conn) if row and row[0] else ()


def _versions(conn: psycopg.Connection) -> tuple[str, ...]:
    # A table that may not exist cannot be named in the query that asks whether it does.
    rows = conn.execute("select version_num from public.alembic_version order by 1").fetchall()
    return tuple(v for (v,) in rows)
