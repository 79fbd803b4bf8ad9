"""Publications, every one the database has; their tables are written to sql/publications/."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects.base import CatalogReader, Compared, Definition, Key, Kind, Names, Owned

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


@dataclass(frozen=True)
class Publication:
    name: str
    all_tables: bool
    tables: tuple[str, ...]  # "schema.name", sorted


def key(p: Publication) -> Key:
    return ("publication", p.name)


_PUBLICATIONS_SQL = """
select p.pubname as name, p.puballtables as all_tables,
       coalesce((select array_agg(format('%%s.%%s', t.schemaname, t.tablename)
                                  order by t.schemaname collate "C", t.tablename collate "C")
                 from pg_catalog.pg_publication_tables t
                 where t.pubname = p.pubname), '{}') as tables
  from pg_catalog.pg_publication p
 order by p.pubname collate "C"
"""


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {
        "publications": tuple(
            Publication(**{**row, "tables": tuple(row["tables"])})
            for row in reader.rows(_PUBLICATIONS_SQL)
        )
    }


def compared(catalog: Catalog) -> Iterable[Compared]:
    for p in catalog.publications:
        yield key(p), {"all_tables": p.all_tables, "tables": list(p.tables)}


def files(catalog: Catalog, names: Names) -> Iterable[Definition]:
    for p in catalog.publications:
        if p.all_tables or not p.tables:
            continue
        tables = ",\n  ".join(names.qualified(*t.split(".", 1)) for t in p.tables)
        name = names.quote(p.name)
        yield Definition(
            f"publications/{p.name}.sql",
            f"alter publication {name} set table\n  {tables};\n",
            f"alter publication {name} drop table\n  {tables};\n",  # the membership
            (Owned(key(p)),),
        )


KIND = Kind(
    "publication",
    read=read,
    compared=compared,
    folder="publications",
    files=files,
    one_sided=True,
)
