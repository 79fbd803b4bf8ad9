"""Indexes, of tables and materialized views."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects.base import CatalogReader, Compared, Key, Kind

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


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


def key(i: Index) -> Key:
    return ("index", f"{i.schema}.{i.name}")


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


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {
        "indexes": tuple(
            Index(**{**row, "key_columns": tuple(row["key_columns"] or ())})
            for row in reader.rows(_INDEXES_SQL)
        )
    }


def compared(catalog: Catalog) -> Iterable[Compared]:
    for i in catalog.indexes:
        yield key(i), {"definition": i.definition}


KIND = Kind("index", read=read, compared=compared)
