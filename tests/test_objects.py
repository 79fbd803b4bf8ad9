"""zora_db.objects: each kind's drift key and its sql/ file name one object one way."""

from __future__ import annotations

import pytest

from tests.conftest import HEAD_TEMPLATE
from zora_db import definitions
from zora_db.catalog import Catalog, introspect
from zora_db.drift import comparable
from zora_db.objects import FOLDERS, KINDS
from zora_db.objects.base import Owned
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
