"""Drift: every difference between two catalog models.

``compare(expected, actual)`` flattens each model into facts, one per object
(a table's flags and grants, a column, a constraint, an index, an enum, a
domain, a function, a trigger, a policy, a publication), and reports what is
missing, unexpected or changed, field by field. ``zora-db check`` compares a
database with what the migrations build at its revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from zora_db.catalog import Catalog

# Kinds whose extra objects in the actual database are not ours to judge:
# Supabase installs extensions and publications of its own.
ONE_SIDED = {"extension", "publication"}


@dataclass(frozen=True)
class Difference:
    kind: str  # "table", "column", "constraint", "index", "function", ...
    object: str
    change: str  # "missing", "unexpected" or "changed"
    detail: str = ""  # for "changed": each field, expected → actual
    fields: tuple[str, ...] = ()  # for "changed": the fields that differ

    def __str__(self) -> str:
        what = f"{self.kind} {self.object}: {self.change}"
        return f"{what} ({self.detail})" if self.detail else what


Facts = dict[tuple[str, str], dict[str, Any]]


def facts(catalog: Catalog) -> Facts:
    """One comparable record per object, keyed by (kind, qualified name)."""
    found: Facts = {}
    for r in catalog.relations:
        found[r.kind if r.kind != "partitioned table" else "table", r.qualified] = {
            "rls_enabled": r.rls_enabled,
            "rls_forced": r.rls_forced,
            "replica_identity": r.replica_identity,
            "security_invoker": r.security_invoker,
            "grants": sorted(r.privileges),
            "comment": r.comment,
            "definition": r.definition,
        }
        for c in r.columns:
            found["column", f"{r.qualified}.{c.name}"] = {
                "type": c.type,
                "nullable": c.nullable,
                "default": c.default,
                "identity": c.identity,
                "generated": c.generated,
                "grants": sorted(c.privileges),
            }
    for k in catalog.constraints:
        found["constraint", f"{k.qualified_table}.{k.name}"] = {"definition": k.definition}
    for i in catalog.indexes:
        found["index", f"{i.schema}.{i.name}"] = {"definition": i.definition}
    for p in catalog.policies:
        found["policy", f"{p.qualified_table}.{p.name}"] = {
            key: value for key, value in asdict(p).items() if key not in ("schema", "table", "name")
        }
    for f in catalog.functions:
        found["function", f.signature] = {
            "definition": f.definition,
            "executable_by": sorted(f.executable_by),
        }
    for t in catalog.triggers:
        found["trigger", f"{t.schema}.{t.table}.{t.name}"] = {
            "definition": t.definition,
            "enabled": t.enabled,
        }
    for e in catalog.enums:
        found["enum", f"{e.schema}.{e.name}"] = {"values": list(e.values)}
    for d in catalog.domains:
        found["domain", f"{d.schema}.{d.name}"] = {
            "base_type": d.base_type,
            "nullable": d.nullable,
            "checks": list(d.checks),
        }
    for ct in catalog.composite_types:
        attributes = [(a.name, a.type) for a in ct.attributes]
        found["type", f"{ct.schema}.{ct.name}"] = {"attributes": attributes}
    for x in catalog.extensions:
        found["extension", x.name] = {"schema": x.schema}
    for pub in catalog.publications:
        found["publication", pub.name] = {"all_tables": pub.all_tables, "tables": list(pub.tables)}
    return found


def compare(
    expected: Catalog, actual: Catalog, *, ignore_unexpected: Iterable[str] = ONE_SIDED
) -> list[Difference]:
    """What differs in ``actual`` from ``expected``, sorted by kind and object.

    Extra objects of the kinds in ``ignore_unexpected`` are not reported.
    """
    ignored = set(ignore_unexpected)
    want, have = facts(expected), facts(actual)
    differences = []
    for key in sorted(want.keys() | have.keys()):
        kind, name = key
        if key not in have:
            differences.append(Difference(kind, name, "missing"))
        elif key not in want:
            if kind not in ignored:
                differences.append(Difference(kind, name, "unexpected"))
        elif want[key] != have[key]:
            fields = tuple(f for f in want[key] if want[key][f] != have[key].get(f))
            detail = "; ".join(_changed(f, want[key][f], have[key].get(f)) for f in fields)
            differences.append(Difference(kind, name, "changed", detail, fields))
    return differences


def _changed(field: str, expected: Any, actual: Any) -> str:
    if isinstance(expected, list) and isinstance(actual, list):
        gone = [f"-{_show(v)}" for v in expected if v not in actual]
        new = [f"+{_show(v)}" for v in actual if v not in expected]
        if gone or new:
            return f"{field}: {' '.join(gone + new)}"
    if isinstance(expected, str) and isinstance(actual, str) and "\n" in expected + actual:
        # A definition: the first line that differs says what changed.
        lines = zip(expected.splitlines(), actual.splitlines(), strict=False)
        for number, (a, b) in enumerate(lines, 1):
            if a != b:
                return f"{field} line {number}: {_show(a)} → {_show(b)}"
        return f"{field}: {len(expected.splitlines())} lines → {len(actual.splitlines())} lines"
    return f"{field}: {_show(expected)} → {_show(actual)}"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "/".join(str(v) for v in value)
    text = " ".join(str(value).split())  # definitions on one line
    return text if len(text) <= 160 else text[:157] + "..."


__all__ = ["Difference", "compare", "facts"]
