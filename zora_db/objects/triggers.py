"""Triggers (not the internal ones of foreign keys); written to sql/triggers/."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects.base import CatalogReader, Compared, Definition, Key, Kind, Names, Owned

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


@dataclass(frozen=True)
class Trigger:
    schema: str
    table: str
    name: str
    definition: str
    function: str  # schema-qualified
    enabled: bool


def key(t: Trigger) -> Key:
    return ("trigger", f"{t.schema}.{t.table}.{t.name}")


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


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {"triggers": tuple(Trigger(**row) for row in reader.rows(_TRIGGERS_SQL))}


def compared(catalog: Catalog) -> Iterable[Compared]:
    for t in catalog.triggers:
        yield key(t), {"definition": t.definition, "enabled": t.enabled}


def files(catalog: Catalog, names: Names) -> Iterable[Definition]:
    for t in catalog.triggers:
        target = names.qualified(t.schema, t.table)
        # Not CREATE OR REPLACE: constraint triggers (deferred ones) do not have it.
        drop = f"drop trigger if exists {names.quote(t.name)} on {target};\n"
        yield Definition(
            f"triggers/{t.schema}.{t.table}.{t.name}.sql",
            drop + t.definition + ";\n",
            drop,
            (Owned(key(t)),),
        )


KIND = Kind("trigger", read=read, compared=compared, folder="triggers", files=files)
