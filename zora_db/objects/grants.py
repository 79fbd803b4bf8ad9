"""What the API roles may do to a table and its columns; written to sql/grants/.

Grants are read with their table (``Relation.privileges``, ``Column.privileges``)
and compared as its ``grants`` fields; a grants file owns those fields only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from zora_db.objects import columns, relations
from zora_db.objects.base import API_ROLES, Definition, Kind, Names, Owned
from zora_db.objects.relations import Relation

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


def files(catalog: Catalog, names: Names) -> Iterable[Definition]:
    for table in catalog.tables:
        definition = _file(table, catalog.table_privileges, names)
        if definition is not None:
            yield definition


def _file(table: Relation, every_privilege: tuple[str, ...], names: Names) -> Definition | None:
    target = names.qualified(table.schema, table.name)
    whole: dict[str, list[str]] = {}
    for grantee, privilege in table.privileges:
        if grantee in API_ROLES:
            whole.setdefault(grantee, []).append(privilege)
    by_column: dict[tuple[str, str], list[str]] = {}
    owns = [Owned(relations.key(table), ("grants",))]
    for column in table.columns:
        owns.append(Owned(columns.key(table, column), ("grants",)))
        for grantee, privilege in column.privileges:
            if grantee in API_ROLES and privilege not in whole.get(grantee, []):
                by_column.setdefault((grantee, privilege), []).append(names.quote(column.name))
    revoke = f"revoke all on table {target} from {', '.join(API_ROLES)};\n"
    lines = [revoke.rstrip()]
    for grantee in sorted(whole):
        # Every privilege is `all`: the same file then grants 15's seven and 17's eight.
        held = sorted(whole[grantee])
        privileges = "all" if set(held) == set(every_privilege) else ", ".join(held)
        lines.append(f"grant {privileges} on table {target} to {grantee};")
    for (grantee, privilege), quoted in sorted(by_column.items()):
        lines.append(f"grant {privilege} ({', '.join(quoted)}) on table {target} to {grantee};")
    if len(lines) == 1:
        return None
    return Definition(f"grants/{table.qualified}.sql", "\n".join(lines) + "\n", revoke, tuple(owns))


KIND = Kind("grant", folder="grants", files=files)
