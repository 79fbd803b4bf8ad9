"""Table constraints: primary and foreign keys, unique, check and exclusion."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects.base import CatalogReader, Compared, Key, Kind

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


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


def key(k: Constraint) -> Key:
    return ("constraint", f"{k.qualified_table}.{k.name}")


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


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {
        "constraints": tuple(
            Constraint(
                **{
                    **row,
                    "columns": tuple(row["columns"]),
                    "ref_columns": tuple(row["ref_columns"]),
                }
            )
            for row in reader.rows(_CONSTRAINTS_SQL)
        )
    }


def compared(catalog: Catalog) -> Iterable[Compared]:
    for k in catalog.constraints:
        yield key(k), {"definition": k.definition}


KIND = Kind("constraint", read=read, compared=compared)
