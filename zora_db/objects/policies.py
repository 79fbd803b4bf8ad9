"""Row level security policies; written to sql/policies/, one per file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects.base import CatalogReader, Compared, Definition, Key, Kind, Names, Owned

if TYPE_CHECKING:
    from zora_db.catalog import Catalog

# Supabase's tables whose row level security policies are ours to write: the
# access rules of private Realtime channels (Broadcast and Presence).
OWN_POLICIES_IN_MANAGED = ("realtime.messages",)


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


def key(p: Policy) -> Key:
    return ("policy", f"{p.schema}.{p.table}.{p.name}")


_POLICIES_SQL = """
select p.schemaname as schema, p.tablename as "table", p.policyname as name,
       p.permissive = 'PERMISSIVE' as permissive, p.roles::text[] as roles,
       lower(p.cmd) as command, p.qual as using, p.with_check as check
  from pg_catalog.pg_policies p
 where p.schemaname = any (%(schemas)s)
    or p.schemaname || '.' || p.tablename = any (%(own_policies)s)
 order by p.schemaname collate "C", p.tablename collate "C", p.policyname collate "C"
"""


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {
        "policies": tuple(
            Policy(**{**row, "roles": tuple(row["roles"])}) for row in reader.rows(_POLICIES_SQL)
        )
    }


def compared(catalog: Catalog) -> Iterable[Compared]:
    for p in catalog.policies:
        yield key(p), {k: v for k, v in asdict(p).items() if k not in ("schema", "table", "name")}


def files(catalog: Catalog, names: Names) -> Iterable[Definition]:
    for p in catalog.policies:
        target = names.qualified(p.schema, p.table)
        name = names.quote(p.name)
        lines = [
            f"drop policy if exists {name} on {target};",
            f"create policy {name} on {target}",
            f"  as {'permissive' if p.permissive else 'restrictive'}",
            f"  for {p.command}",
            f"  to {', '.join(p.roles)}",
        ]
        if p.using is not None:
            lines.append(f"  using ({p.using})")
        if p.check is not None:
            lines.append(f"  with check ({p.check})")
        lines[-1] += ";"
        yield Definition(
            f"policies/{p.schema}.{p.table}.{p.name}.sql",
            "\n".join(lines) + "\n",
            f"drop policy {name} on {target};\n",
            (Owned(key(p)),),
        )


KIND = Kind("policy", read=read, compared=compared, folder="policies", files=files)
