"""zora_db.objects: each kind's drift key and its sql/ file name one object one way."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import HEAD_TEMPLATE, query
from zora_db import catalog as catalog_module
from zora_db import definitions, drift
from zora_db.catalog import Catalog, introspect
from zora_db.drift import comparable
from zora_db.objects import FOLDERS, KINDS
from zora_db.objects.base import CatalogReader, Compared, Kind, Owned
from zora_db.throwaway import Throwaway


@pytest.fixture(scope="module")
def head(server: Throwaway) -> Catalog:
    return introspect(server.url(HEAD_TEMPLATE))


def test_every_file_owns_keys_drift_compares(head: Catalog) -> None:
    """A file names its object by the kind's own key: drift knows every one of them."""
    compared = comparable(head)
    files = definitions.definitions(head)
    assert files
    for definition in files.values():
        for owned in definition.owns:
            assert owned.key in compared, f"{definition.path} owns {owned.key}, unknown to drift"
            for field in owned.fields or ():
                assert field in compared[owned.key]


def test_every_compared_key_is_read_by_one_kind(head: Catalog) -> None:
    """No two kinds claim one key: drift's record of an object comes from one module."""
    seen: dict[tuple[str, str], str] = {}
    for kind in KINDS:
        for key, _ in kind.compared(head):
            assert key not in seen, f"{key} compared by {seen[key]} and {kind.name}"
            seen[key] = kind.name
    assert {k for k, _ in seen} >= {"table", "column", "function", "policy", "trigger"}


def test_files_are_applied_in_dependency_order() -> None:
    """Functions before the views and policies that call them; membership of tables last."""
    assert FOLDERS == ("functions", "views", "grants", "policies", "triggers", "publications")
    assert len({kind.name for kind in KINDS}) == len(KINDS)


@pytest.mark.parametrize(
    ("owned", "key", "changed", "covers"),
    [
        (Owned(("policy", "public.t.p")), ("policy", "public.t.p"), None, True),
        (Owned(("policy", "public.t.p")), ("policy", "public.t.q"), None, False),
        (Owned(("table", "public.t"), ("grants",)), ("table", "public.t"), {"grants"}, True),
        # A grants file does not own its table's other fields, nor its appearance.
        (Owned(("table", "public.t"), ("grants",)), ("table", "public.t"), {"comment"}, False),
        (Owned(("table", "public.t"), ("grants",)), ("table", "public.t"), None, False),
    ],
)
def test_what_a_file_owns(
    owned: Owned, key: tuple[str, str], changed: set[str] | None, covers: bool
) -> None:
    assert owned.covers(key, changed) is covers


# A kind written here and nowhere else: what adding one to zora_db/objects/ takes.
_SEQUENCES_SQL = """
select n.nspname as schema, c.relname as name
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind = 'S' and n.nspname = any (%(schemas)s)
 order by 1, 2
"""


@dataclass(frozen=True)
class _Sequence:
    schema: str
    name: str


def _read_sequences(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {"sequences": tuple(_Sequence(**row) for row in reader.rows(_SEQUENCES_SQL))}


def _compared_sequences(catalog: Catalog) -> Iterator[Compared]:
    for s in catalog.of("sequences"):
        yield ("sequence", f"{s.schema}.{s.name}"), {}


def test_a_new_kind_is_read_and_compared(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sequences = Kind("sequence", read=_read_sequences, compared=_compared_sequences)
    without = introspect(db_url)
    for module in (catalog_module, drift):
        monkeypatch.setattr(module, "KINDS", (*KINDS, sequences))
    before = introspect(db_url)
    query(db_url, "create sequence public.ticket_numbers")
    after = introspect(db_url)
    assert after.queries == without.queries + 1  # the new kind's one query, counted as it ran
    assert _Sequence("public", "ticket_numbers") in after.of("sequences")
    assert [str(d) for d in drift.compare(before, after)] == [
        "sequence public.ticket_numbers: unexpected"
    ]
