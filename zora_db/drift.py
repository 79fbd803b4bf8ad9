"""Drift: every difference between two catalog models.

``compare(expected, actual)`` flattens each model into one comparable record
per object, as each kind's module says (``zora_db.objects``: a table's flags
and grants, a column, a constraint, an index, an enum, a domain, a function,
a trigger, a policy, a publication), and reports what is missing,
unexpected or changed, field by field. ``zora-db check`` compares a
database with what the migrations build at its revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zora_db.catalog import Catalog
from zora_db.objects import KINDS
from zora_db.objects.base import Key

# Kinds whose extra objects in the actual database are not ours to judge.
ONE_SIDED = frozenset(kind.name for kind in KINDS if kind.one_sided)


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


Comparable = dict[Key, dict[str, Any]]


def comparable(catalog: Catalog) -> Comparable:
    """What drift compares of each object, by its key: (kind, qualified name)."""
    return {key: record for kind in KINDS for key, record in kind.compared(catalog)}


def compare(
    expected: Catalog, actual: Catalog, *, ignore_unexpected: Iterable[str] = ONE_SIDED
) -> list[Difference]:
    """What differs in ``actual`` from ``expected``, sorted by kind and object.

    Extra objects of the kinds in ``ignore_unexpected`` are not reported.
    """
    ignored = set(ignore_unexpected)
    want, have = comparable(expected), comparable(actual)
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


__all__ = ["Difference", "comparable", "compare"]
