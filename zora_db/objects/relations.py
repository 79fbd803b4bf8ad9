"""Tables, views, materialized views and foreign tables; views are written to sql/views/."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects import columns as columns_
from zora_db.objects.base import (
    NOT_FROM_EXTENSION,
    CatalogReader,
    Compared,
    Definition,
    Key,
    Kind,
    Names,
    Owned,
)
from zora_db.objects.columns import Column

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


@dataclass(frozen=True)
class ColumnSource:
    """Where a view's column comes from: a column of the relation it selects from."""

    column: str
    schema: str
    relation: str  # a table, or another view (follow it for the table)
    relation_column: str


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: str  # "table", "view", "materialized view", "partitioned table", "foreign table"
    columns: tuple[Column, ...]
    comment: str | None
    rls_enabled: bool
    rls_forced: bool
    replica_identity: str  # "default", "full", "nothing", "index"
    security_invoker: bool  # views: security_invoker=true
    reads_auth_users: bool  # views whose query reads auth.users
    privileges: tuple[tuple[str, str], ...]  # (grantee, privilege) on the whole relation
    definition: str | None = None  # views: pg_get_viewdef
    insertable: bool = True  # views: auto-updatable, or an INSTEAD trigger or rule
    updatable: bool = True
    sources: tuple[ColumnSource, ...] = ()  # views: columns that are another's, unchanged

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def granted(self, role: str, privilege: str) -> bool:
        return (role, privilege) in self.privileges


def key(relation: Relation) -> Key:
    # A partitioned table is compared as a table: partitioning is the table's shape.
    kind = "table" if relation.kind == "partitioned table" else relation.kind
    return (kind, relation.qualified)


_RELATIONS_SQL = f"""
select n.nspname as schema, c.relname as name,
       case c.relkind when 'r' then 'table' when 'p' then 'partitioned table'
                      when 'v' then 'view' when 'm' then 'materialized view'
                      else 'foreign table' end as kind,
       obj_description(c.oid, 'pg_class') as comment,
       c.relrowsecurity as rls_enabled, c.relforcerowsecurity as rls_forced,
       case c.relreplident when 'd' then 'default' when 'f' then 'full'
                           when 'n' then 'nothing' else 'index' end as replica_identity,
       coalesce('security_invoker=true' = any (c.reloptions)
                or 'security_invoker=on' = any (c.reloptions), false) as security_invoker,
       c.relkind in ('v', 'm') and exists (
         select from pg_catalog.pg_rewrite rw
           join pg_catalog.pg_depend d
             on d.classid = 'pg_rewrite'::regclass and d.objid = rw.oid
          where rw.ev_class = c.oid and d.refobjid = to_regclass('auth.users')
       ) as reads_auth_users,
       coalesce((select array_agg(array[case when a.grantee = 0 then 'public'
                                             else a.grantee::regrole::text end,
                                        lower(a.privilege_type)]
                                  order by 1)
                 from aclexplode(c.relacl) a), '{{}}') as privileges,
       case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as definition,
       -- bits of pg_relation_is_updatable with triggers: 8 insert, 4 update
       c.relkind not in ('v', 'm') or pg_relation_is_updatable(c.oid, true) & 8 = 8
         as insertable,
       c.relkind not in ('v', 'm') or pg_relation_is_updatable(c.oid, true) & 4 = 4
         as updatable,
       c.oid::int8 as oid,
       (select rw.ev_action::text from pg_catalog.pg_rewrite rw
         where rw.ev_class = c.oid and rw.rulename = '_RETURN') as rule_tree
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where n.nspname = any (%(schemas)s) and c.relkind in ('r', 'p', 'v', 'm', 'f')
   and {NOT_FROM_EXTENSION.format(catalog="pg_class", oid="c.oid")}
 order by n.nspname collate "C", c.relname collate "C"
"""

# A type as JSON for TypeRef.from_json: schema, name, the element of an


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    columns = reader.once(columns_.by_relation)
    rows = reader.rows(_RELATIONS_SQL)
    by_oid = {row["oid"]: row for row in rows}
    for row in rows:
        row["columns"] = columns.get((row["schema"], row["name"]), ())
        row["privileges"] = tuple(tuple(p) for p in row["privileges"])
    relations = []
    for row in rows:
        tree, _ = row.pop("rule_tree"), row.pop("oid")
        row["sources"] = _column_sources(tree, row["columns"], by_oid) if tree else ()
        relations.append(Relation(**row))
    return {"relations": tuple(relations)}


def compared(catalog: Catalog) -> Iterable[Compared]:
    for r in catalog.relations:
        yield from _compared(r)


def _compared(r: Relation) -> Iterable[Compared]:
    yield (
        key(r),
        {
            "rls_enabled": r.rls_enabled,
            "rls_forced": r.rls_forced,
            "replica_identity": r.replica_identity,
            "security_invoker": r.security_invoker,
            "grants": sorted(r.privileges),
            "comment": r.comment,
            "definition": r.definition,
        },
    )
    for c in r.columns:
        yield (
            columns_.key(r, c),
            {
                "type": c.type,
                "nullable": c.nullable,
                "default": c.default,
                "identity": c.identity,
                "generated": c.generated,
                "grants": sorted(c.privileges),
            },
        )


def files(catalog: Catalog, names: Names) -> Iterable[Definition]:
    for view in catalog.views:
        options = " with (security_invoker = true)" if view.security_invoker else ""
        target = names.qualified(view.schema, view.name)
        body = (view.definition or "").rstrip().rstrip(";")
        yield Definition(
            f"views/{view.qualified}.sql",
            f"create or replace view {target}{options} as\n{body};\n",
            f"drop view {target};\n",
            (Owned(key(view)),),
        )


KIND = Kind("relation", read=read, compared=compared, folder="views", files=files)


# A view's rule as pg_node_tree text: nodes are {NAME :key value ...}, lists
# are ( ... ), and names inside values escape ( ) { } and spaces with "\\".
_NODE_TOKEN = re.compile(r"(?:\\.|[^\s(){}\\])+|[(){}]")


def _target_origins(tree: str) -> list[tuple[int, int, int]]:
    """(resno, resorigtbl, resorigcol) of the top-level query's target list.

    PostgreSQL records, for each output column of a view that is a plain
    column of a relation, which relation and column it is; nested queries
    (deeper in the tree) have target lists of their own and are skipped.
    """
    origins: list[tuple[int, int, int]] = []
    depth, in_list, key = 0, False, ""
    entry: dict[str, int] = {}
    for part in _NODE_TOKEN.findall(tree):
        if part == "{":
            depth += 1
            entry = {} if in_list and depth == 2 else entry
        elif part == "}":
            if in_list and depth == 2 and entry.get("resorigtbl"):
                origins.append((entry["resno"], entry["resorigtbl"], entry["resorigcol"]))
            depth -= 1
        elif part == ")" and in_list and depth == 1:
            break  # the end of the top-level target list
        elif depth == 1 and part == ":targetList":
            in_list = True
        elif in_list and depth == 2 and part.startswith(":"):
            key = part[1:]
        elif in_list and depth == 2 and key in ("resno", "resorigtbl", "resorigcol"):
            entry[key], key = int(part), ""
    return origins


def _column_sources(
    tree: str, columns: tuple[Column, ...], by_oid: dict[int, dict[str, Any]]
) -> tuple[ColumnSource, ...]:
    """The view's columns that are columns of a relation in the schemas read."""
    names = {c.position: c.name for c in columns}
    sources = []
    for resno, oid, attnum in _target_origins(tree):
        origin = by_oid.get(oid)
        if origin is None or resno not in names:
            continue  # a relation outside the schemas read
        column = next((c.name for c in origin["columns"] if c.position == attnum), None)
        if column is not None:
            sources.append(ColumnSource(names[resno], origin["schema"], origin["name"], column))
    return tuple(sources)
