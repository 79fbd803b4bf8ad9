"""One introspection of a live database into one immutable model.

The linter, verification, type generation and drift checks all read a
``Catalog``; none of them queries the system catalogs on its own. Each kind
of object is read by its own module under ``zora_db.objects``, with one
catalog-wide query (never one per table): the model takes the same number of
queries whatever the number of tables. ``Catalog.queries`` is that number as
counted while reading, not declared by the kinds (the tests hold it constant).

Objects that belong to an extension (``pg_depend`` deptype ``e``) are left
out: they are the extension's, not the schema's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg

from zora_db.db import connect
from zora_db.objects import KINDS
from zora_db.objects.base import API_ROLES, CatalogReader
from zora_db.objects.columns import Column
from zora_db.objects.constraints import Constraint
from zora_db.objects.extensions import Extension
from zora_db.objects.functions import Argument, Function
from zora_db.objects.indexes import Index
from zora_db.objects.policies import OWN_POLICIES_IN_MANAGED, Policy
from zora_db.objects.publications import Publication
from zora_db.objects.relations import ColumnSource, Relation
from zora_db.objects.triggers import Trigger
from zora_db.objects.typeref import TypeRef
from zora_db.objects.types import CompositeType, Domain, Enum

# Schemas Supabase (or PostgreSQL) manages: never ours to lint, diff or type.
MANAGED_SCHEMAS = (
    "auth",
    "extensions",
    "graphql",
    "graphql_public",
    "information_schema",
    "net",
    "pgbouncer",
    "pgsodium",
    "pgsodium_masks",
    "realtime",
    "storage",
    "supabase_functions",
    "supabase_migrations",
    "vault",
    "cron",
)


@dataclass(frozen=True)
class Catalog:
    """Everything zora-db reads about a database, for the schemas it was asked about."""

    schemas: tuple[str, ...]
    # Each kind's objects, by the name its module reads them under ("policies").
    objects: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    # Words an identifier must be quoted to be (PostgreSQL's, for this server's major).
    keywords: frozenset[str] = frozenset()
    # What `grant all` on a table gives on this server's major (17 added maintain).
    table_privileges: tuple[str, ...] = ()
    queries: int = field(default=0, compare=False)  # catalog queries it took

    def of(self, name: str) -> tuple[Any, ...]:
        """The objects a kind read under ``name`` (none: the kind found none)."""
        return self.objects.get(name, ())

    @property
    def relations(self) -> tuple[Relation, ...]:
        return self.of("relations")

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        return self.of("constraints")

    @property
    def indexes(self) -> tuple[Index, ...]:
        return self.of("indexes")

    @property
    def policies(self) -> tuple[Policy, ...]:
        return self.of("policies")

    @property
    def functions(self) -> tuple[Function, ...]:
        return self.of("functions")

    @property
    def triggers(self) -> tuple[Trigger, ...]:
        return self.of("triggers")

    @property
    def enums(self) -> tuple[Enum, ...]:
        return self.of("enums")

    @property
    def domains(self) -> tuple[Domain, ...]:
        return self.of("domains")

    @property
    def composite_types(self) -> tuple[CompositeType, ...]:
        return self.of("composite_types")

    @property
    def extensions(self) -> tuple[Extension, ...]:
        """All of the database's, wherever they live."""
        return self.of("extensions")

    @property
    def publications(self) -> tuple[Publication, ...]:
        """All of the database's."""
        return self.of("publications")

    @property
    def tables(self) -> tuple[Relation, ...]:
        return tuple(r for r in self.relations if r.kind in ("table", "partitioned table"))

    @property
    def views(self) -> tuple[Relation, ...]:
        return tuple(r for r in self.relations if r.kind in ("view", "materialized view"))

    def relation(self, qualified: str) -> Relation | None:
        return next((r for r in self.relations if r.qualified == qualified), None)

    def publication(self, name: str) -> Publication | None:
        return next((p for p in self.publications if p.name == name), None)


# Names are sorted in SQL with "C" collation so the model's order never depends on the locale.

_SCHEMAS_SQL = """
select coalesce(array_agg(n.nspname::text order by n.nspname collate "C"), '{}') as schemas
  from pg_catalog.pg_namespace n
 where n.nspname <> all (%(managed)s)
   and n.nspname !~ '^pg_'
   and not exists (select from pg_catalog.pg_depend d
                   where d.classid = 'pg_namespace'::regclass and d.objid = n.oid
                     and d.deptype = 'e')
"""


_SERVER_SQL = """
select (select coalesce(array_agg(word::text), '{}')
          from pg_catalog.pg_get_keywords() where catcode <> 'U') as keywords,
       -- every privilege a table has on this major (17 added MAINTAIN): its owner's default
       (select array_agg(lower(a.privilege_type) order by 1)
          from aclexplode(acldefault('r', 10::oid)) a) as table_privileges
"""


def introspect(url: str, schemas: tuple[str, ...] | None = None) -> Catalog:
    """The catalog model of the database at ``url``.

    ``schemas`` defaults to every schema that is neither PostgreSQL's nor
    one Supabase manages (``MANAGED_SCHEMAS``) nor an extension's.
    """
    with connect(url) as conn:
        return introspect_connection(conn, schemas)


def introspect_connection(
    conn: psycopg.Connection[Any], schemas: tuple[str, ...] | None = None
) -> Catalog:
    """``introspect`` on an open connection (in its current transaction)."""
    with conn.transaction():
        # Catalog queries are cheap but look expensive to the planner: JIT
        # compilation would cost more than the queries themselves.
        conn.execute("set local jit = off")
        return _introspect(conn, schemas)


def _introspect(conn: psycopg.Connection[Any], schemas: tuple[str, ...] | None) -> Catalog:
    reader = CatalogReader(
        conn, {"managed": list(MANAGED_SCHEMAS), "own_policies": list(OWN_POLICIES_IN_MANAGED)}
    )
    if schemas is None:
        schemas = tuple(reader.rows(_SCHEMAS_SQL)[0]["schemas"])
    reader.params["schemas"] = list(schemas)
    objects: dict[str, tuple[Any, ...]] = {}
    for kind in KINDS:
        objects.update(kind.read(reader))
    (server,) = reader.rows(_SERVER_SQL)
    return Catalog(
        schemas=schemas,
        objects=objects,
        keywords=frozenset(server["keywords"]),
        table_privileges=tuple(server["table_privileges"]),
        queries=reader.queries,
    )


__all__ = [
    "API_ROLES",
    "MANAGED_SCHEMAS",
    "Argument",
    "Catalog",
    "Column",
    "ColumnSource",
    "CompositeType",
    "Constraint",
    "Domain",
    "Enum",
    "Extension",
    "Function",
    "Index",
    "Policy",
    "Publication",
    "Relation",
    "Trigger",
    "TypeRef",
    "introspect",
    "introspect_connection",
]
