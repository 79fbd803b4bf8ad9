"""Columns: of tables, views and composite types. Read once, for every relation.

A column is compared by drift as part of its relation (``relations``); its
grants are written to sql/ by ``grants``. Both name it by :func:`key`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zora_db.objects.base import CatalogReader, Key
from zora_db.objects.typeref import TypeRef

if TYPE_CHECKING:
    from zora_db.objects.relations import Relation


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


def key(relation: Relation, column: Column) -> Key:
    return ("column", f"{relation.qualified}.{column.name}")


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


def by_relation(reader: CatalogReader) -> dict[tuple[str, str], tuple[Column, ...]]:
    """Every column of the schemas read, by (schema, relation), in position order."""
    found: dict[tuple[str, str], list[Column]] = {}
    for row in reader.rows(_COLUMNS_SQL):
        row["type_ref"] = TypeRef.from_json(row["type_ref"])
        row["privileges"] = tuple(tuple(p) for p in row["privileges"])
        found.setdefault((row.pop("schema"), row.pop("relation")), []).append(Column(**row))
    return {where: tuple(columns) for where, columns in found.items()}
