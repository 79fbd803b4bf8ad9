"""check and verify against a server set up the way Supabase sets one up, connected as `postgres`.

On Supabase only the database ``postgres`` has auth, realtime and extensions;
``template1`` is bare, and ``postgres`` is not a superuser. check and verify
make their temporary database beside the project's, so it must get the layer
there, from the non-superuser, and leave nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from tests.cli import Outcome, run_cli
from tests.conftest import query, scalar
from zora_db import compat, migrations
from zora_db.compat import bootstrap
from zora_db.throwaway import LocalCluster
from zora_db.throwaway.binaries import find_binaries
from zora_db.urls import with_database

LEFTOVERS = """
select (select array_agg(datname order by datname) from pg_database),
       (select array_agg(rolname order by rolname) from pg_roles),
       (select count(*) from pg_replication_slots)
"""


@pytest.fixture(scope="module")
def project_url() -> Iterator[str]:
    """The database ``postgres`` of a Supabase-shaped server, at head; the owner's URL."""
    with LocalCluster(find_binaries()) as cluster:
        query(cluster.admin_url, "alter database postgres owner to postgres")
        bootstrap(cluster.admin_url)  # in `postgres` only: template1 stays bare
        url = cluster.url("postgres")
        migrations.upgrade(url)
        yield url


def test_the_server_is_shaped_as_supabases(project_url: str) -> None:
    me = "select array[rolsuper, rolcreatedb] from pg_roles where rolname = current_user"
    assert scalar(project_url, me) == [False, True]
    template1 = with_database(project_url, "template1")
    assert scalar(template1, "select to_regnamespace('auth')") is None


def _leaving_nothing(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> Outcome:
    """Run ``zora-db -d URL ARGS``; no database, role or replication slot may remain."""
    before = query(url, LEFTOVERS)
    result = run_cli(capsys, "-d", url, *args)
    assert query(url, LEFTOVERS) == before
    return result


def test_check_finds_no_drift_and_leaves_nothing(
    project_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _leaving_nothing(capsys, project_url, "check", "--json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["drift"] == [] and report["revision"]["state"] == "at head"


def test_verify_passes_every_check_and_leaves_nothing(
    project_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _leaving_nothing(capsys, project_url, "verify", "--json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["passed"] is True
    assert {g["name"]: g["failed"] for g in report["groups"]} == {
        "lint": 0,
        "access matrix": 0,
        "embeds": 0,
        "attacks": 0,
        "triggers": 0,
        "realtime": 0,
    }
    assert "temporary database on" in result.err and "user=postgres" in result.err


def test_asking_the_server_instead_of_the_database_is_caught(
    project_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The mistake this file exists for: "is this Supabase?" answered from the
    # cluster-wide roles, so the temporary database gets no layer.
    def by_roles(conn: psycopg.Connection) -> bool:
        row = conn.execute("select to_regrole('supabase_auth_admin') is not null").fetchone()
        return bool(row and row[0])

    monkeypatch.setattr(compat, "is_supabase", by_roles)
    result = _leaving_nothing(capsys, project_url, "check")
    assert result.code == 6, result.out + result.err
    assert "lacks the Supabase compatibility layer" in result.err
