"""Every cell of the access matrix, by impersonating the demo data set's people."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import SEEDED_TEMPLATE, database_name
from zora_db.throwaway import Throwaway
from zora_db.verify.matrix import Cell, cells, check_cell, facts


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
    assert result.actual == result.expected, result.details
