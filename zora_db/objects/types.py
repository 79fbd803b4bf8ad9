"""Types a schema defines: enums, domains and composite types (one catalog query)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects import columns as columns_
from zora_db.objects.base import NOT_FROM_EXTENSION, CatalogReader, Compared, Kind
from zora_db.objects.columns import Column

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


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
   and {NOT_FROM_EXTENSION.format(catalog="pg_type", oid="t.oid")}
 order by n.nspname collate "C", t.typname collate "C"
"""


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    attributes = reader.once(columns_.by_relation)
    enums, domains, composites = [], [], []
    for row in reader.rows(_TYPES_SQL):
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
            composites.append(CompositeType(schema, name, attributes.get((schema, name), ())))
    return {"enums": tuple(enums), "domains": tuple(domains), "composite_types": tuple(composites)}


def compared(catalog: Catalog) -> Iterable[Compared]:
    for e in catalog.enums:
        yield ("enum", f"{e.schema}.{e.name}"), {"values": list(e.values)}
    for d in catalog.domains:
        yield (
            ("domain", f"{d.schema}.{d.name}"),
            {
                "base_type": d.base_type,
                "nullable": d.nullable,
                "checks": list(d.checks),
            },
        )
    for c in catalog.composite_types:
        yield (
            ("type", f"{c.schema}.{c.name}"),
            {"attributes": [(a.name, a.type) for a in c.attributes]},
        )


KIND = Kind("type", read=read, compared=compared)
