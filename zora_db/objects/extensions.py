"""Extensions, wherever they live: every one the database has."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects.base import CatalogReader, Compared, Key, Kind

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


@dataclass(frozen=True)
class Extension:
    name: str
    schema: str
    version: str


def key(x: Extension) -> Key:
    return ("extension", x.name)


_EXTENSIONS_SQL = """
select e.extname as name, n.nspname as schema, e.extversion as version
  from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
 order by e.extname collate "C"
"""


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {"extensions": tuple(Extension(**row) for row in reader.rows(_EXTENSIONS_SQL))}


def compared(catalog: Catalog) -> Iterable[Compared]:
    for x in catalog.extensions:
        yield key(x), {"schema": x.schema}


KIND = Kind("extension", read=read, compared=compared, one_sided=True)
