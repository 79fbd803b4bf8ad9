"""PostgreSQL majors: any from 15 up, chosen by version; comparisons like with like.

The suite runs whole on 15 and on 17 in CI (ZORA_PG_VERSION); these tests
put two majors side by side in one run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg import sql

from tests.conftest import as_superuser, query
from zora_db import migrations
from zora_db.check import check
from zora_db.compat import bootstrap
from zora_db.errors import BackendUnavailable, ConfigError
from zora_db.throwaway import LocalCluster, Throwaway
from zora_db.throwaway.binaries import find_binaries, forget_binaries
from zora_db.urls import with_params


def _major(url: str) -> int:
    return int(str(query(url, "show server_version_num")[0][0])) // 10000


@pytest.fixture(scope="module")
def other_major(server: Throwaway) -> Iterator[tuple[int, str, str]]:
    """A server of the other major than the suite's (17 beside 15, 15 beside 17), at head.

    Its major, the owner's URL and the superuser's for the database.
    """
    major = 15 if _major(server.admin_url) == 17 else 17
    with LocalCluster(find_binaries(major)) as cluster:
        url = cluster.create_database()
        bootstrap(as_superuser(cluster, url))
        migrations.upgrade(url)
        yield major, url, as_superuser(cluster, url)


def test_binaries_are_found_by_version(monkeypatch: pytest.MonkeyPatch) -> None:
    for major in (15, 17):
        assert find_binaries(major).major == major
    monkeypatch.setenv("ZORA_PG_VERSION", "17")
    forget_binaries()
    try:
        assert find_binaries().major == 17
        monkeypatch.setenv("ZORA_PG_VERSION", "9")
        forget_binaries()
        with pytest.raises(ConfigError, match="ZORA_PG_VERSION"):
            find_binaries()
    finally:
        forget_binaries()


def test_cube_is_there_on_every_major(other_major: tuple[int, str, str], db_url: str) -> None:
    for url in (other_major[1], db_url):
        assert query(url, "select extversion from pg_extension where extname = 'cube'")


def test_a_database_checked_beside_itself_has_no_drift(other_major: tuple[int, str, str]) -> None:
    _, url, _ = other_major
    result = check(url)  # CREATEDB: the reference is made on the same server
    assert result.status.state == "at head" and result.differences == []


def _read_only(url: str, superuser: str, role: str) -> str:
    """A role that may read everything and create nothing, as CI might use; its URL.

    BYPASSRLS: alembic_version has row level security on, like every table.
    Made by ``superuser`` (only it may grant pg_read_all_data) for ``url``'s database.
    """
    query(superuser, sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
    query(
        superuser,
        sql.SQL("create role {} login password {} nocreatedb bypassrls").format(
            sql.Identifier(role), sql.Literal(role)
        ),
    )
    query(superuser, sql.SQL("grant pg_read_all_data to {}").format(sql.Identifier(role)))
    return with_params(url, user=role, password=role)


def test_a_role_that_cannot_create_databases_gets_a_reference_of_its_major(
    other_major: tuple[int, str, str],
) -> None:
    as_checker = _read_only(other_major[1], other_major[2], "checker")
    seen: list[str] = []
    result = check(as_checker, say=seen.append)
    assert result.differences == [], result.differences
    assert any("throwaway server" in line for line in seen)  # not on the target


def test_a_reference_on_another_major_is_refused(
    other_major: tuple[int, str, str], server: Throwaway, monkeypatch: pytest.MonkeyPatch
) -> None:
    major, url, superuser = other_major
    as_checker = _read_only(url, superuser, "checker2")
    # The throwaway backend is a server of the suite's own major: across majors.
    monkeypatch.setenv("ZORA_DB_BACKEND", "url")
    monkeypatch.setenv("ZORA_TEST_DATABASE_URL", server.admin_url)
    with pytest.raises(BackendUnavailable) as info:
        check(as_checker)
    assert f"PostgreSQL {_major(server.admin_url)}, the target {major}" in str(info.value)
    assert f"ZORA_PG_VERSION={major}" in str(info.value)
