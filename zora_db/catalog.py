"""One introspection of a live database into one immutable model.

The linter, verification, type generation and drift checks all read a
``Catalog``; none of them queries the system catalogs on its own. The model
is built by a fixed number of catalog-wide queries (``QUERIES``), whatever
the number of tables: never one query per table.

Objects that belong to an extension (``pg_depend`` deptype ``e``) are left
out: they are the extension's, not the schema's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from zora_db.db import connect

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
API_ROLES = ("anon", "authenticated", "service_role")
# Supabase's tables whose row level security policies are ours to write: the
# access rules of private Realtime channels (Broadcast and Presence).
OWN_POLICIES_IN_MANAGED = ("realtime.messages",)


@dataclass(frozen=True)
class TypeRef:
    """A type by its catalog name: ``pg_catalog.int4``, ``public.order_status``.

    ``element`` is the element type of an array (``pg_catalog._text`` has
    ``pg_catalog.text``); ``relation`` is set for a table's row type.
    """

    schema: str
    name: str
    element: TypeRef | None = None
    relation: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TypeRef:
        element = data.get("element")
        return cls(
            data["schema"],
            data["name"],
            cls.from_json(element) if element else None,
            bool(data.get("relation")),
        )


@dataclass(frozen=True)
class Column:
    name: str
    position: int
    type: str  # as format_type renders it, e.g. "numeric(12,2)", "text[]"
    type_ref: TypeRef
    array_dimensions: int
    nullable: bool
    default: str | None
    identity: str | None  # "always", "by default" or None
    generated: bool
    max_length: int | None
    numeric_precision: int | None
    numeric_scale: int | None
    comment: str | None
    privileges: tuple[tuple[str, str], ...] = ()  # (grantee, privilege) on this column
    writable: bool = True  # a view's column an insert or update may set


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


@dataclass(frozen=True)
class Constraint:
    schema: str
    table: str
    name: str
    kind: str  # "primary key", "foreign key", "unique", "check", "exclusion"
    columns: tuple[str, ...]
    definition: str
    ref_schema: str | None = None
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    ref_is_primary_key: bool = False

    @property
    def qualified_table(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class Index:
    schema: str
    table: str
    name: str
    definition: str
    key_columns: tuple[str | None, ...]  # column names; None for an expression
    # What makes two indexes interchangeable: access method, keys, opclasses,
    # collations, expressions, predicate, uniqueness.
    signature: str
    unique: bool
    primary: bool


@dataclass(frozen=True)
class Policy:
    schema: str
    table: str
    name: str
    permissive: bool
    roles: tuple[str, ...]  # ("public",) when it applies to every role
    command: str  # "select", "insert", "update", "delete", "all"
    using: str | None
    check: str | None

    @property
    def qualified_table(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class Argument:
    name: str | None
    type: str
    type_ref: TypeRef
    mode: str  # "in", "out", "inout", "variadic", "table"
    has_default: bool


@dataclass(frozen=True)
class Function:
    schema: str
    name: str
    identity_arguments: str  # pg_get_function_identity_arguments
    arguments: tuple[Argument, ...]
    return_type: str
    return_type_ref: TypeRef
    returns_set: bool
    kind: str  # "function", "procedure", "aggregate", "window"
    language: str
    volatility: str  # "immutable", "stable", "volatile"
    security_definer: bool
    config: tuple[str, ...]  # proconfig, e.g. ("search_path=\"\"",)
    executable_by: tuple[str, ...]  # API roles (and "public") that may execute it
    comment: str | None
    definition: str  # pg_get_functiondef: what PostgreSQL keeps, normalised
    estimated_rows: float | None = None  # set-returning functions: ROWS

    @property
    def signature(self) -> str:
        return f"{self.schema}.{self.name}({self.identity_arguments})"

    @property
    def inputs(self) -> tuple[Argument, ...]:
        return tuple(a for a in self.arguments if a.mode in ("in", "inout", "variadic"))

    @property
    def outputs(self) -> tuple[Argument, ...]:
        """The columns of a ``returns table (...)`` or of OUT arguments."""
        return tuple(a for a in self.arguments if a.mode in ("out", "inout", "table"))

    @property
    def search_path(self) -> str | None:
        for setting in self.config:
            key, _, value = setting.partition("=")
            if key == "search_path":
                return value
        return None


@dataclass(frozen=True)
class Trigger:
    schema: str
    table: str
    name: str
    definition: str
    function: str  # schema-qualified
    enabled: bool


@dataclass(frozen=True)
class Enum:
    schema: str
    name: str
    values: tuple[str, ...]
    comment: str | None


@dataclass(frozen=True)
class Domain:
    schema: str
    name: str
    base_type: str
    base_type_name: str
    nullable: bool
    checks: tuple[str, ...]
    max_length: int | None
    numeric_precision: int | None
    numeric_scale: int | None


@dataclass(frozen=True)
class CompositeType:
    schema: str
    name: str
    attributes: tuple[Column, ...]


@dataclass(frozen=True)
class Extension:
    name: str
    schema: str
    version: str


@dataclass(frozen=True)
class Publication:
    name: str
    all_tables: bool
    tables: tuple[str, ...]  # "schema.name", sorted


@dataclass(frozen=True)
class Catalog:
    """Everything zora-db reads about a database, for the schemas it was asked about."""

    schemas: tuple[str, ...]
    relations: tuple[Relation, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    policies: tuple[Policy, ...] = ()
    functions: tuple[Function, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    enums: tuple[Enum, ...] = ()
    domains: tuple[Domain, ...] = ()
    composite_types: tuple[CompositeType, ...] = ()
    extensions: tuple[Extension, ...] = ()  # all of the database's, wherever they live
    publications: tuple[Publication, ...] = ()  # all of the database's
    # Words an identifier must be quoted to be (PostgreSQL's, for this server's major).
    keywords: frozenset[str] = frozenset()
    # What `grant all` on a table gives on this server's major (17 added maintain).
    table_privileges: tuple[str, ...] = ()
    queries: int = field(default=0, compare=False)  # catalog queries it took

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


# --------------------------------------------------------------------------- queries
# Each takes %(schemas)s (text[]) and returns rows as dicts. Names are sorted
# in SQL with "C" collation so the model's order never depends on the locale.

_SCHEMAS_SQL = """
select coalesce(array_agg(n.nspname::text order by n.nspname collate "C"), '{}')
  from pg_catalog.pg_namespace n
 where n.nspname <> all (%(managed)s)
   and n.nspname !~ '^pg_'
   and not exists (select from pg_catalog.pg_depend d
                   where d.classid = 'pg_namespace'::regclass and d.objid = n.oid
                     and d.deptype = 'e')
"""

_NOT_FROM_EXTENSION = """
not exists (select from pg_catalog.pg_depend d
            where d.classid = '{catalog}'::regclass and d.objid = {oid} and d.deptype = 'e')
"""

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
   and {_NOT_FROM_EXTENSION.format(catalog="pg_class", oid="c.oid")}
 order by n.nspname collate "C", c.relname collate "C"
"""

# A type as JSON for TypeRef.from_json: schema, name, the element of an
# array, and whether it is a table's row type.
_TYPE_REF = """
(select json_build_object(
          'schema', tn.nspname, 'name', t.typname,
          'relation', t.typtype = 'c' and tr.relkind <> 'c',
          'element', (select json_build_object('schema', en.nspname, 'name', e.typname)
                        from pg_catalog.pg_type e
                        join pg_catalog.pg_namespace en on en.oid = e.typnamespace
                       where e.oid = t.typelem and t.typcategory = 'A'))
   from pg_catalog.pg_type t
   join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
   left join pg_catalog.pg_class tr on tr.oid = t.typrelid
  where t.oid = {oid})
"""

_ATTRIBUTE_COLUMNS = """
       a.attname as name, a.attnum as position,
       format_type(a.atttypid, a.atttypmod) as type,
       json_build_object(
         'schema', tn.nspname, 'name', t.typname,
         'relation', t.typtype = 'c' and tr.relkind <> 'c',
         'element', case when et.oid is not null
                         then json_build_object('schema', etn.nspname, 'name', et.typname) end)
         as type_ref,
       greatest(a.attndims, case when t.typcategory = 'A' then 1 else 0 end) as array_dimensions,
       not a.attnotnull as nullable,
       case when a.attgenerated = '' then pg_get_expr(ad.adbin, ad.adrelid) end as "default",
       case a.attidentity when 'a' then 'always' when 'd' then 'by default' end as identity,
       a.attgenerated <> '' as generated,
       -- information_schema's rules, inlined: its functions take whole rows
       -- and cost more than the rest of the query together.
       case when x.base in (1042, 1043) and x.mod > 0 then x.mod - 4 end as max_length,
       case x.base when 21 then 16 when 23 then 32 when 20 then 64
                   when 700 then 24 when 701 then 53
                   when 1700 then case when x.mod > 0 then ((x.mod - 4) >> 16) & 65535 end
       end as numeric_precision,
       case when x.base in (20, 21, 23) then 0
            when x.base = 1700 and x.mod > 0 then (x.mod - 4) & 65535 end as numeric_scale,
       dsc.description as comment,
       coalesce((select array_agg(array[case when p.grantee = 0 then 'public'
                                             else p.grantee::regrole::text end,
                                        lower(p.privilege_type)] order by 1)
                 from aclexplode(a.attacl) p), '{}') as privileges,
       -- a view's column is writable when PostgreSQL can update it through the
       -- view, or when an INSTEAD trigger or unconditional rule writes the rows
       c.relkind in ('r', 'p')
       or c.relkind in ('v', 'f') and (
            pg_column_is_updatable(c.oid, a.attnum, false)
            or exists (select from pg_catalog.pg_trigger tg
                        where tg.tgrelid = c.oid and not tg.tgisinternal
                          and tg.tgtype & 64 <> 0 and tg.tgtype & 20 <> 0)
            or exists (select from pg_catalog.pg_rewrite rw
                        where rw.ev_class = c.oid and rw.is_instead
                          and rw.ev_type in ('2', '3') and rw.ev_qual::text = '<>'))
         as writable
"""

_COLUMNS_SQL = f"""
select n.nspname as schema, c.relname as relation, {_ATTRIBUTE_COLUMNS}
  from pg_catalog.pg_attribute a
  join pg_catalog.pg_class c on c.oid = a.attrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_type t on t.oid = a.atttypid
  cross join lateral (  -- a domain's base type and modifier stand for it
    select case when t.typtype = 'd' then t.typbasetype else a.atttypid end as base,
           case when t.typtype = 'd' then t.typtypmod else a.atttypmod end as mod) x
  join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
  left join pg_catalog.pg_class tr on tr.oid = t.typrelid
  left join pg_catalog.pg_type et on et.oid = t.typelem and t.typcategory = 'A'
  left join pg_catalog.pg_namespace etn on etn.oid = et.typnamespace
  left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
  left join pg_catalog.pg_description dsc
    on dsc.objoid = a.attrelid and dsc.classoid = 'pg_class'::regclass
   and dsc.objsubid = a.attnum
 where n.nspname = any (%(schemas)s) and c.relkind in ('r', 'p', 'v', 'm', 'f', 'c')
   and a.attnum > 0 and not a.attisdropped
 order by n.nspname collate "C", c.relname collate "C", a.attnum
"""

_CONSTRAINTS_SQL = """
select n.nspname as schema, c.relname as "table", k.conname as name,
       case k.contype when 'p' then 'primary key' when 'f' then 'foreign key'
                      when 'u' then 'unique' when 'c' then 'check'
                      else 'exclusion' end as kind,
       coalesce((select array_agg(a.attname::text order by u.ord)
                 from unnest(k.conkey) with ordinality u(attnum, ord)
                 join pg_catalog.pg_attribute a
                   on a.attrelid = k.conrelid and a.attnum = u.attnum), '{}') as columns,
       pg_get_constraintdef(k.oid) as definition,
       rn.nspname as ref_schema, rc.relname as ref_table,
       coalesce((select array_agg(a.attname::text order by u.ord)
                 from unnest(k.confkey) with ordinality u(attnum, ord)
                 join pg_catalog.pg_attribute a
                   on a.attrelid = k.confrelid and a.attnum = u.attnum), '{}') as ref_columns,
       coalesce((select i.indisprimary from pg_catalog.pg_index i
                 where i.indexrelid = k.conindid), false) as ref_is_primary_key
  from pg_catalog.pg_constraint k
  join pg_catalog.pg_class c on c.oid = k.conrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  left join pg_catalog.pg_class rc on rc.oid = k.confrelid
  left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
 where n.nspname = any (%(schemas)s) and k.contype in ('p', 'f', 'u', 'c', 'x')
 order by n.nspname collate "C", c.relname collate "C", k.conname collate "C"
"""

_INDEXES_SQL = """
select n.nspname as schema, c.relname as "table", ic.relname as name,
       pg_get_indexdef(i.indexrelid) as definition,
       (select array_agg(a.attname::text order by u.ord)
          from unnest(i.indkey::int2[]) with ordinality u(attnum, ord)
          left join pg_catalog.pg_attribute a
            on a.attrelid = i.indrelid and a.attnum = u.attnum and u.attnum > 0
         where u.ord <= i.indnkeyatts) as key_columns,
       concat_ws(' ', am.amname, i.indkey::text, i.indclass::text, i.indcollation::text,
                 i.indoption::text, i.indisunique::text, i.indnkeyatts::text,
                 pg_get_expr(i.indexprs, i.indrelid), pg_get_expr(i.indpred, i.indrelid))
         as signature,
       i.indisunique as unique, i.indisprimary as primary
  from pg_catalog.pg_index i
  join pg_catalog.pg_class ic on ic.oid = i.indexrelid
  join pg_catalog.pg_am am on am.oid = ic.relam
  join pg_catalog.pg_class c on c.oid = i.indrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where n.nspname = any (%(schemas)s)
 order by n.nspname collate "C", c.relname collate "C", ic.relname collate "C"
"""

_POLICIES_SQL = """
select p.schemaname as schema, p.tablename as "table", p.policyname as name,
       p.permissive = 'PERMISSIVE' as permissive, p.roles::text[] as roles,
       lower(p.cmd) as command, p.qual as using, p.with_check as check
  from pg_catalog.pg_policies p
 where p.schemaname = any (%(schemas)s)
    or p.schemaname || '.' || p.tablename = any (%(own_policies)s)
 order by p.schemaname collate "C", p.tablename collate "C", p.policyname collate "C"
"""

_FUNCTIONS_SQL = f"""
select n.nspname as schema, p.proname as name,
       pg_get_function_identity_arguments(p.oid) as identity_arguments,
       coalesce((
         select array_agg(json_build_object(
                  'name', nullif(x.name, ''),
                  'type', format_type(x.type, null),
                  'type_ref', {_TYPE_REF.format(oid="x.type")},
                  'mode', case x.mode when 'i' then 'in' when 'o' then 'out'
                                      when 'b' then 'inout' when 'v' then 'variadic'
                                      else 'table' end,
                  'has_default',
                    x.mode in ('i', 'b', 'v')
                    and x.in_position > p.pronargs - p.pronargdefaults) order by x.ord)
           from (select a.ord, a.type, a.mode, a.name,
                        count(*) filter (where a.mode in ('i', 'b', 'v'))
                          over (order by a.ord) as in_position
                   from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                               coalesce(p.proargmodes,
                                        array_fill('i'::"char", array[p.pronargs])),
                               coalesce(p.proargnames,
                                        array_fill(''::text, array[p.pronargs])))
                        with ordinality a(type, mode, name, ord)) x
       ), '{{}}') as arguments,
       format_type(p.prorettype, null) as return_type,
       {_TYPE_REF.format(oid="p.prorettype")} as return_type_ref,
       p.proretset as returns_set,
       case p.prokind when 'f' then 'function' when 'p' then 'procedure'
                      when 'a' then 'aggregate' else 'window' end as kind,
       l.lanname as language,
       case p.provolatile when 'i' then 'immutable' when 's' then 'stable'
                          else 'volatile' end as volatility,
       p.prosecdef as security_definer,
       coalesce(p.proconfig, '{{}}') as config,
       array(select r from unnest(array['public', 'anon', 'authenticated', 'service_role']) r
              where (r = 'public' and exists (select from aclexplode(coalesce(
                       p.proacl, acldefault('f', p.proowner))) x
                     where x.grantee = 0 and x.privilege_type = 'EXECUTE'))
                 or (r <> 'public' and exists (select from pg_catalog.pg_roles ro
                     where ro.rolname = r)
                     and has_function_privilege(r, p.oid, 'execute'))) as executable_by,
       obj_description(p.oid, 'pg_proc') as comment,
       case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid) else '' end
         as definition,
       case when p.proretset then nullif(p.prorows, 0) end as estimated_rows
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  join pg_catalog.pg_language l on l.oid = p.prolang
 where n.nspname = any (%(schemas)s)
   and {_NOT_FROM_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
 order by n.nspname collate "C", p.proname collate "C",
          pg_get_function_identity_arguments(p.oid) collate "C"
"""

_TRIGGERS_SQL = """
select n.nspname as schema, c.relname as "table", t.tgname as name,
       pg_get_triggerdef(t.oid) as definition,
       format('%%I.%%I', fn.nspname, f.proname) as function,
       t.tgenabled <> 'D' as enabled
  from pg_catalog.pg_trigger t
  join pg_catalog.pg_class c on c.oid = t.tgrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_proc f on f.oid = t.tgfoid
  join pg_catalog.pg_namespace fn on fn.oid = f.pronamespace
 where n.nspname = any (%(schemas)s) and not t.tgisinternal
 order by n.nspname collate "C", c.relname collate "C", t.tgname collate "C"
"""

_TYPES_SQL = f"""
select n.nspname as schema, t.typname as name, t.typtype as typtype,
       obj_description(t.oid, 'pg_type') as comment,
       case when t.typtype = 'e' then array(
         select e.enumlabel::text from pg_catalog.pg_enum e
         where e.enumtypid = t.oid order by e.enumsortorder) end as enum_values,
       format_type(t.typbasetype, t.typtypmod) as base_type,
       bt.typname as base_type_name, not t.typnotnull as nullable,
       case when t.typtype = 'd' then array(
         select pg_get_constraintdef(k.oid) from pg_catalog.pg_constraint k
         where k.contypid = t.oid order by k.conname) end as checks,
       information_schema._pg_char_max_length(t.typbasetype, t.typtypmod) as max_length,
       information_schema._pg_numeric_precision(t.typbasetype, t.typtypmod)
         as numeric_precision,
       information_schema._pg_numeric_scale(t.typbasetype, t.typtypmod) as numeric_scale
  from pg_catalog.pg_type t
  join pg_catalog.pg_namespace n on n.oid = t.typnamespace
  left join pg_catalog.pg_type bt on bt.oid = t.typbasetype
 where n.nspname = any (%(schemas)s)
   and (t.typtype in ('e', 'd')
        or t.typtype = 'c' and (select c.relkind from pg_catalog.pg_class c
                                where c.oid = t.typrelid) = 'c')
   and {_NOT_FROM_EXTENSION.format(catalog="pg_type", oid="t.oid")}
 order by n.nspname collate "C", t.typname collate "C"
"""

_EXTENSIONS_SQL = """
select e.extname as name, n.nspname as schema, e.extversion as version
  from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
 order by e.extname collate "C"
"""

_PUBLICATIONS_SQL = """
select p.pubname as name, p.puballtables as all_tables,
       coalesce((select array_agg(format('%%s.%%s', t.schemaname, t.tablename)
                                  order by t.schemaname collate "C", t.tablename collate "C")
                 from pg_catalog.pg_publication_tables t
                 where t.pubname = p.pubname), '{}') as tables
  from pg_catalog.pg_publication p
 order by p.pubname collate "C"
"""

_SERVER_SQL = """
select (select coalesce(array_agg(word::text), '{}')
          from pg_catalog.pg_get_keywords() where catcode <> 'U') as keywords,
       -- every privilege a table has on this major (17 added MAINTAIN): its owner's default
       (select array_agg(lower(a.privilege_type) order by 1)
          from aclexplode(acldefault('r', 10::oid)) a) as table_privileges
"""

QUERIES = 12  # the schema list and the eleven queries below; see test_catalog


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
        return _introspect(_Reader(conn), schemas)


def _introspect(reader: _Reader, schemas: tuple[str, ...] | None) -> Catalog:
    if schemas is None:
        schemas = tuple(reader.scalar(_SCHEMAS_SQL, {"managed": list(MANAGED_SCHEMAS)}))
    else:
        reader.queries += 1  # keep the count fixed: the list is given, not read
    params = {"schemas": list(schemas)}

    columns: dict[tuple[str, str], list[Column]] = {}
    for row in reader.rows(_COLUMNS_SQL, params):
        row["type_ref"] = TypeRef.from_json(row["type_ref"])
        row["privileges"] = tuple(tuple(p) for p in row["privileges"])
        columns.setdefault((row.pop("schema"), row.pop("relation")), []).append(Column(**row))

    rows = reader.rows(_RELATIONS_SQL, params)
    by_oid = {row["oid"]: row for row in rows}
    relations = []
    for row in rows:
        row["columns"] = tuple(columns.get((row["schema"], row["name"]), ()))
        row["privileges"] = tuple(tuple(p) for p in row["privileges"])
    for row in rows:
        tree, _ = row.pop("rule_tree"), row.pop("oid")
        row["sources"] = _column_sources(tree, row["columns"], by_oid) if tree else ()
        relations.append(Relation(**row))

    constraints = tuple(
        Constraint(
            **{
                **row,
                "columns": tuple(row["columns"]),
                "ref_columns": tuple(row["ref_columns"]),
            }
        )
        for row in reader.rows(_CONSTRAINTS_SQL, params)
    )
    indexes = tuple(
        Index(**{**row, "key_columns": tuple(row["key_columns"] or ())})
        for row in reader.rows(_INDEXES_SQL, params)
    )
    policies = tuple(
        Policy(**{**row, "roles": tuple(row["roles"])})
        for row in reader.rows(
            _POLICIES_SQL, {**params, "own_policies": list(OWN_POLICIES_IN_MANAGED)}
        )
    )
    functions = tuple(
        Function(
            **{
                **row,
                "arguments": tuple(
                    Argument(**{**a, "type_ref": TypeRef.from_json(a["type_ref"])})
                    for a in row["arguments"]
                ),
                "return_type_ref": TypeRef.from_json(row["return_type_ref"]),
                "config": tuple(row["config"]),
                "executable_by": tuple(row["executable_by"]),
            }
        )
        for row in reader.rows(_FUNCTIONS_SQL, params)
    )
    triggers = tuple(Trigger(**row) for row in reader.rows(_TRIGGERS_SQL, params))

    enums, domains, composites = [], [], []
    for row in reader.rows(_TYPES_SQL, params):
        schema, name = row["schema"], row["name"]
        if row["typtype"] == "e":
            enums.append(Enum(schema, name, tuple(row["enum_values"]), row["comment"]))
        elif row["typtype"] == "d":
            domains.append(
                Domain(
                    schema,
                    name,
                    row["base_type"],
                    row["base_type_name"],
                    row["nullable"],
                    tuple(row["checks"]),
                    row["max_length"],
                    row["numeric_precision"],
                    row["numeric_scale"],
                )
            )
        else:
            composites.append(CompositeType(schema, name, tuple(columns.get((schema, name), ()))))

    extensions = tuple(Extension(**row) for row in reader.rows(_EXTENSIONS_SQL, {}))
    publications = tuple(
        Publication(**{**row, "tables": tuple(row["tables"])})
        for row in reader.rows(_PUBLICATIONS_SQL, {})
    )
    (server,) = reader.rows(_SERVER_SQL, {})
    return Catalog(
        schemas=schemas,
        relations=tuple(relations),
        constraints=constraints,
        indexes=indexes,
        policies=policies,
        functions=functions,
        triggers=triggers,
        enums=tuple(enums),
        domains=tuple(domains),
        composite_types=tuple(composites),
        extensions=extensions,
        publications=publications,
        keywords=frozenset(server["keywords"]),
        table_privileges=tuple(server["table_privileges"]),
        queries=reader.queries,
    )


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


class _Reader:
    """Runs catalog queries and counts them (the count is a promise: see QUERIES)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.queries = 0

    def rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.queries += 1
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def scalar(self, query: str, params: dict[str, Any]) -> Any:
        self.queries += 1
        row = self.conn.execute(query, params).fetchone()
        assert row is not None
        return row[0]
