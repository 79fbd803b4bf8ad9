"""The Supabase compatibility layer: what it installs, and that it behaves as Supabase's."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from tests.conftest import query, scalar
from zora_db.compat import BootstrapOutcome, bootstrap, missing_pieces

USER_ID = "8f4e5d7c-1a2b-4c3d-9e8f-0123456789ab"


def _as_user(url: str, sql: str, claims: dict[str, object] | None, role: str = "authenticated"):
    """Run ``sql`` the way PostgREST does for a request: role and claims set locally."""
    with psycopg.connect(url) as conn:
        conn.execute(f"set local role {role}")
        if claims is not None:
            conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
        return conn.execute(sql).fetchone()


def test_vanilla_database_lacks_every_piece(vanilla_db_url: str) -> None:
    with psycopg.connect(vanilla_db_url) as conn:
        missing = missing_pieces(conn)
    assert "schema auth" in missing
    assert "function auth.uid()" in missing
    assert "publication supabase_realtime" in missing


def test_bootstrap_installs_everything_and_is_idempotent(vanilla_db_url: str) -> None:
    assert bootstrap(vanilla_db_url) is BootstrapOutcome.INSTALLED
    assert bootstrap(vanilla_db_url) is BootstrapOutcome.INSTALLED
    with psycopg.connect(vanilla_db_url) as conn:
        assert missing_pieces(conn) == []
    roles = dict(
        query(
            vanilla_db_url,
            "select rolname, rolbypassrls from pg_roles where rolname in "
            "('anon', 'authenticated', 'service_role', 'authenticator')",
        )
    )
    assert roles == {
        "anon": False,
        "authenticated": False,
        "service_role": True,
        "authenticator": False,
    }
    assert (
        scalar(
            vanilla_db_url,
            "select count(*) from pg_publication_tables where pubname = 'supabase_realtime'",
        )
        == 0
    )
    assert scalar(vanilla_db_url, "select to_regnamespace('extensions') is not null") is True


def test_auth_uid_reads_the_jwt_sub_claim(compat_db_url: str) -> None:
    claims = {"sub": USER_ID, "role": "authenticated", "email": "a@example.com"}
    row = _as_user(
        compat_db_url, "select auth.uid(), auth.role(), auth.email(), current_user", claims
    )
    assert row == (uuid.UUID(USER_ID), "authenticated", "a@example.com", "authenticated")


def test_auth_jwt_returns_all_claims(compat_db_url: str) -> None:
    claims = {"sub": USER_ID, "app_metadata": {"role": "admin"}}
    row = _as_user(compat_db_url, "select auth.jwt()", claims)
    assert row is not None and row[0] == claims


def test_without_claims_auth_uid_is_null(compat_db_url: str) -> None:
    assert _as_user(compat_db_url, "select auth.uid(), auth.jwt()", None, role="anon") == (
        None,
        None,
    )


def test_legacy_single_claim_setting_wins(compat_db_url: str) -> None:
    # Older PostgREST sets request.jwt.claim.sub; Supabase's auth.uid() prefers it.
    other = str(uuid.uuid4())
    with psycopg.connect(compat_db_url) as conn:
        conn.execute("select set_config('request.jwt.claim.sub', %s, true)", [other])
        conn.execute(
            "select set_config('request.jwt.claims', %s, true)", [json.dumps({"sub": USER_ID})]
        )
        assert conn.execute("select auth.uid()").fetchone() == (uuid.UUID(other),)


def test_claims_are_transaction_local(compat_db_url: str) -> None:
    with psycopg.connect(compat_db_url) as conn:
        conn.execute(
            "select set_config('request.jwt.claims', %s, true)", [json.dumps({"sub": USER_ID})]
        )
        conn.commit()
        assert conn.execute("select auth.uid()").fetchone() == (None,)


def test_supabase_default_privileges_are_emulated(compat_db_url: str) -> None:
    query(compat_db_url, "create table public.t (id int)")
    granted = scalar(
        compat_db_url,
        "select array_agg(distinct grantee::text order by grantee::text) "
        "from information_schema.role_table_grants where table_name = 't' "
        "and privilege_type = 'SELECT'",
    )
    assert granted is not None
    assert {"anon", "authenticated", "service_role"} <= set(granted)  # type: ignore[arg-type]


def test_a_real_supabase_database_is_left_alone(vanilla_db_url: str) -> None:
    # Roles are cluster-wide: the marker is removed again so no other test sees it.
    query(vanilla_db_url, "create role supabase_admin")
    try:
        assert bootstrap(vanilla_db_url) is BootstrapOutcome.SUPABASE
        assert scalar(vanilla_db_url, "select to_regnamespace('auth')") is None
    finally:
        query(vanilla_db_url, "drop role supabase_admin")


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_api_roles_cannot_write_auth_users(compat_db_url: str, role: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_user(
            compat_db_url,
            "insert into auth.users (email) values ('x@y.z') returning id",
            {"sub": USER_ID},
            role=role,
        )
