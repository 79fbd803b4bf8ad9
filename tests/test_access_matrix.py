"""Every cell of the access matrix, by impersonating the demo data set's people."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import SEEDED_TEMPLATE, database_name
from zora_db.throwaway import Throwaway
from zora_db.verify.actors import ALICE
from zora_db.verify.matrix import KINDS, MATRIX, Cell, cells, check_cell, facts


@pytest.fixture(scope="module")
def matrix_conn(server: Throwaway) -> Iterator[tuple[psycopg.Connection[Any], dict[str, Any]]]:
    """One seeded database for the module: every cell rolls back what it does."""
    url = server.create_database(template=SEEDED_TEMPLATE)
    with psycopg.connect(url) as conn:
        yield conn, facts(conn)
        conn.rollback()
    server.drop_database(database_name(url))


@pytest.mark.parametrize("cell", list(cells()), ids=lambda c: c.name)
def test_cell(cell: Cell, matrix_conn: tuple[psycopg.Connection[Any], dict[str, Any]]) -> None:
    conn, known = matrix_conn
    result = check_cell(conn, cell, known)
    assert result.passed, result.explain()


def _cell(name: str) -> Cell:
    (found,) = [cell for cell in cells() if cell.name == name]
    return found


@pytest.mark.parametrize(
    ("cell", "planted", "explained"),
    [
        (
            "alice insert addresses",
            "revoke insert on public.addresses from authenticated",
            "own: denied (expected allowed): 42501 permission denied for table addresses",
        ),
        (
            "alice update profiles",
            "revoke update on public.profiles from authenticated",
            "1 rows out of reach that should not be ({alice}): "
            "42501 permission denied for table profiles",
        ),
        (
            "alice select orders",
            "drop policy orders_select on public.orders",
            "rows out of reach that should not be (",
        ),
        (
            "bob select orders",
            "create policy everyone on public.orders for select to authenticated using (true)",
            "rows reached that should not be (",
        ),
    ],
)
def test_a_failing_cell_says_what_differs_and_what_postgresql_answered(
    matrix_conn: tuple[psycopg.Connection[Any], dict[str, Any]],
    cell: str,
    planted: str,
    explained: str,
) -> None:
    conn, known = matrix_conn
    with conn.transaction(force_rollback=True):
        conn.execute(planted)
        result = check_cell(conn, _cell(cell), known)
    assert not result.passed
    assert explained.format(alice=ALICE.uid) in result.explain()
    if "drop policy" in planted:
        assert result.explain().endswith(": no error: row level security hid them")


def test_each_table_has_one_record_and_every_kind_an_answer() -> None:
    assert len({rules.table for rules in MATRIX}) == len(MATRIX)
    for rules in MATRIX:
        for operation in ("select", "update", "delete"):
            assert set(getattr(rules, operation)) == set(KINDS), (rules.table, operation)
        for candidate in rules.insert:
            assert set(candidate.expected) == set(KINDS), (rules.table, candidate.name)
