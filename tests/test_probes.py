"""verify's probes match a refusal by psycopg's error class, and ours by their ZA code."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from zora_db.sqlstates import ZoraSqlState
from zora_db.verify.probes import ProbeFailed, refused, rows

RAISE_ZA001 = "do $$ begin raise sqlstate 'ZA001'; end $$"


def test_a_refusal_is_matched_by_its_class_or_a_parent(vanilla_db_url: str) -> None:
    with psycopg.connect(vanilla_db_url) as conn:
        refused(conn, None, "select 1/0", error=errors.DivisionByZero)
        refused(conn, None, "select 1/0", error=errors.DataError)  # the SQLSTATE class 22


def test_another_error_or_none_fails_the_probe(vanilla_db_url: str) -> None:
    with psycopg.connect(vanilla_db_url) as conn:
        with pytest.raises(ProbeFailed, match=r"DivisionByZero 22012 .* InsufficientPrivilege"):
            refused(conn, None, "select 1/0", error=errors.InsufficientPrivilege)
        with pytest.raises(ProbeFailed, match="owner succeeded; expected DivisionByZero"):
            refused(conn, None, "select 1", error=errors.DivisionByZero)


def test_our_own_sqlstates_are_matched_by_code(vanilla_db_url: str) -> None:
    with psycopg.connect(vanilla_db_url) as conn:
        refused(conn, None, RAISE_ZA001, error=ZoraSqlState.BAD_STATUS_CHANGE)
        with pytest.raises(ProbeFailed, match="expected ZA002"):
            refused(conn, None, RAISE_ZA001, error=ZoraSqlState.PRODUCT_UNAVAILABLE)


def test_rows_counts_the_rows_of_a_select_without_columns(vanilla_db_url: str) -> None:
    with psycopg.connect(vanilla_db_url) as conn:
        assert len(rows(conn, None, "select from (values (1), (2)) as v (n)")) == 2
        assert rows(conn, None, "create temporary table t ()") == []  # no rows to return
