"""verify's catch-up judge: each kind of failure, planted, is caught (and none without one)."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import as_superuser, query
from zora_db.throwaway import Throwaway
from zora_db.verify.actors import ALICE, BOB, CAMDEN, SHOREDITCH
from zora_db.verify.catchup import CHECKS, CatchUpJudge
from zora_db.verify.realtime import SUBSCRIBERS

NOTIFY = "insert into public.notifications (user_id, type, title) select %s, 'system', 'n' || g " \
    "from generate_series(1, %s) g"  # fmt: skip


def judged(url: str, *changes: tuple[str, list[object]]) -> dict[str, list[str]]:
    """Start every subscription, make ``changes`` (one transaction each), resume: the problems."""
    with psycopg.connect(url) as conn:
        judge = CatchUpJudge(conn, SUBSCRIBERS)
        judge.after_step("the start")
        for statement, params in changes:
            query(url, statement, params)
        judge.after_step("the changes")
    return {name: problems for name, problems in judge.problems.items() if problems}


def test_the_schema_as_migrated_passes(seeded_db_url: str) -> None:
    problems = judged(
        seeded_db_url,
        (NOTIFY, [ALICE.uid, 1]),
        (NOTIFY, [ALICE.uid, 4]),
        ("update public.vendors set is_active = false where id = %s", [SHOREDITCH.shop]),
        ("delete from public.cart_items where user_id = %s", [ALICE.uid]),
    )
    assert problems == {}
    assert set(CHECKS) == {"no gap", "no divergence", "no leaked key",
                           "no page ends inside a transaction"}  # fmt: skip


def test_a_change_missing_from_the_log_is_a_gap(server: Throwaway, seeded_db_url: str) -> None:
    query(as_superuser(server, seeded_db_url),
          "drop trigger log_change on public.notifications")  # fmt: skip
    problems = judged(seeded_db_url, (NOTIFY, [ALICE.uid, 1]))
    assert "no gap" in problems and "(alice)" in problems["no gap"][0]


def test_a_move_out_not_logged_is_a_divergence(server: Throwaway, seeded_db_url: str) -> None:
    query(as_superuser(server, seeded_db_url),
          "drop trigger log_visibility_change on public.vendors")  # fmt: skip
    problems = judged(
        seeded_db_url,
        (
            "update public.vendors set is_active = false where id = %s",
            [SHOREDITCH.shop],
        ),
    )
    assert "no divergence" in problems and "products" in problems["no divergence"][0]


def test_an_entry_for_everyone_of_a_private_row_is_a_leak(
    server: Throwaway, seeded_db_url: str
) -> None:
    # The mistake of an audience rule that calls a cart line public.
    problems = judged(
        seeded_db_url,
        (
            "insert into private.changes (tbl, audience, id, version, removed, image)"
            " select 'cart_items', '00000000-0000-0000-0000-000000000000', id, version, true,"
            " to_jsonb(c) from public.cart_items c where user_id = %s",
            [ALICE.uid],
        ),
    )
    assert "no leaked key" in problems
    assert any("(bob)" in p or "(anon)" in p for p in problems["no leaked key"])


def test_a_page_ending_inside_a_transaction_is_a_split(
    server: Throwaway, seeded_db_url: str
) -> None:
    superuser = as_superuser(server, seeded_db_url)
    definition = query(superuser, "select pg_get_functiondef('public.sync_changes'::regproc)")[0][0]
    assert isinstance(definition, str)
    keeping_whole = (
        "            while kept > 0 and e_xid[kept] = e_xid[room + 1] loop\n"
        "              kept := kept - 1;\n"
        "            end loop;\n"
    )
    assert keeping_whole in definition
    with psycopg.connect(superuser, autocommit=True) as conn:
        conn.execute(definition.replace(keeping_whole, ""))  # type: ignore[arg-type]
    problems = judged(seeded_db_url, (NOTIFY, [ALICE.uid, 1]), (NOTIFY, [ALICE.uid, 4]))
    assert "no page ends inside a transaction" in problems


@pytest.mark.parametrize("person", [BOB, CAMDEN])
def test_probes_cover_other_people_too(seeded_db_url: str, person: object) -> None:
    with psycopg.connect(seeded_db_url) as conn:
        judge = CatchUpJudge(conn, SUBSCRIBERS)
    assert any(r.actor == person for r in judge.resumed)
