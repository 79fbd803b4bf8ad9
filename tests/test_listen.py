"""`zora-db listen`: a user's subscription, live, as supabase-js payloads."""

from __future__ import annotations

import json
import secrets
import select
import signal
import time
from typing import IO

import pytest

from tests.cli import run_cli, spawn_cli
from tests.conftest import acting_as, decoder_here, query, scalar
from zora_db.seed import seed_id
from zora_db.urls import with_params

ALICE = str(seed_id("user:alice"))


def _line(stream: IO[str], deadline: float) -> str:
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.1)
        if ready:
            return stream.readline()
    raise AssertionError("nothing arrived in time")


@pytest.mark.usefixtures("wal2json")
def test_listen_streams_what_the_user_receives_and_ctrl_c_ends_it(seeded_db_url: str) -> None:
    proc = spawn_cli(
        "-d", seeded_db_url, "listen", "--as", ALICE, "--table", "orders",
        "--filter", f"user_id=eq.{ALICE}",
    )  # fmt: skip
    try:
        assert proc.stdout and proc.stderr
        deadline = time.monotonic() + 30
        while "listening" not in (said := _line(proc.stderr, deadline)):
            assert said, "listen ended before it was ready"
        assert f"({decoder_here(seeded_db_url)})" in said and "public.orders user_id=eq." in said
        with acting_as(seeded_db_url, ALICE) as conn:
            conn.execute(
                "update public.orders set notes = 'ring twice' where id = "
                "(select id from public.orders where status = 'pending' limit 1)"
            )
        # Another customer's order: alice's subscription must not see it.
        query(
            seeded_db_url,
            "update public.orders set notes = 'not yours' where user_id <> %s",
            [ALICE],
        )
        payload = json.loads(_line(proc.stdout, deadline))
        assert payload["eventType"] == "UPDATE" and payload["table"] == "orders"
        assert payload["new"]["notes"] == "ring twice" and payload["new"]["user_id"] == ALICE
        assert payload["old"]["status"] == "pending" and payload["errors"] is None
        assert isinstance(payload["new"]["total"], float | int)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
    assert "not yours" not in out
    assert scalar(seeded_db_url, "select count(*) from pg_replication_slots") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "alice"], "--as 'alice' is neither a user id nor anon"),
        (["--as", ALICE, "--filter", "user_id=eq.x"], "--filter needs --table"),
        (["--as", ALICE, "--table", "orders", "--filter", "user_id=eq.42"], "uuid"),
        (["--as", ALICE, "--table", "orders", "--filter", "user_id"], "column=operator.value"),
        (["--as", ALICE, "--table", "nope"], "there is no table public.nope"),
        (["--as", "anon", "--table", "orders", "--filter", f"user_id=eq.{ALICE}"], "anon may read"),
        (["--as", ALICE, "--event", "UPSERT"], "unknown event 'UPSERT'"),
    ],
)
def test_listen_refuses_what_realtime_refuses_in_one_line(
    seeded_db_url: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_cli(capsys, "-d", seeded_db_url, "listen", *args)
    assert result.code == 3, result.err
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert scalar(seeded_db_url, "select count(*) from pg_replication_slots") == 0


def test_listen_without_replication_privileges_says_so(
    seeded_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"zora_listen_{secrets.token_hex(3)}"  # roles are the server's, not the database's
    query(seeded_db_url, f"create role {role} login password 'plain'")
    url = with_params(seeded_db_url, user=role, password="plain")
    result = run_cli(
        capsys, "-d", url, "listen", "--as", "anon",
        "--table", "products",
    )  # fmt: skip
    assert result.code == 9, result.err
    assert "may not create a replication slot" in result.err
    assert len(result.err.strip().splitlines()) == 1
