"""The Supabase compatibility layer: what it installs, and that it behaves as Supabase's."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from tests.conftest import as_superuser, query, scalar
from zora_db.compat import BootstrapOutcome, bootstrap, missing_pieces, require_compat_layer
from zora_db.errors import CompatLayerMissing
from zora_db.throwaway import Throwaway

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
    # As the database's owner, not a superuser: what check and verify do on Supabase.
    assert (
        scalar(vanilla_db_url, "select rolsuper from pg_roles where rolname = current_user")
        is False
    )
    assert bootstrap(vanilla_db_url) is BootstrapOutcome.INSTALLED
    assert bootstrap(vanilla_db_url) is BootstrapOutcome.INSTALLED
    with psycopg.connect(vanilla_db_url) as conn:
        assert missing_pieces(conn) == []
    assert (
        scalar(
            vanilla_db_url,
            "select count(*) from pg_publication_tables where pubname = 'supabase_realtime'",
        )
        == 0
    )
    assert scalar(vanilla_db_url, "select to_regnamespace('extensions') is not null") is True
    # It could give nothing away, so the installer keeps what it made, and no event trigger.
    assert query(
        vanilla_db_url,
        "select distinct pg_get_userbyid(relowner) from pg_class "
        "where relnamespace in ('auth'::regnamespace, 'realtime'::regnamespace)",
    ) == [("postgres",)]
    assert scalar(vanilla_db_url, "select count(*) from pg_event_trigger") == 0


def test_roles_are_supabases(compat_db_url: str) -> None:
    roles = dict(
        query(
            compat_db_url,
            "select rolname, array[rolsuper, rolinherit, rolbypassrls, rolcanlogin, "
            "rolcreatedb, rolcreaterole, rolreplication] from pg_roles where rolname in "
            "('anon', 'authenticated', 'service_role', 'authenticator', 'postgres')",
        )
    )
    #                  super  inherit bypassrls login  createdb createrole replication
    assert roles == {
        "anon": [False, True, False, False, False, False, False],
        "authenticated": [False, True, False, False, False, False, False],
        "service_role": [False, True, True, False, False, False, False],
        "authenticator": [False, False, False, True, False, False, False],
        "postgres": [False, True, True, True, True, True, True],
    }
    member_of = {
        role
        for (role,) in query(
            compat_db_url,
            "select b.rolname from pg_auth_members m join pg_roles b on b.oid = m.roleid "
            "where m.member = 'postgres'::regrole",
        )
    }
    assert member_of == {
        "anon", "authenticated", "service_role", "pg_read_all_data", "pg_monitor",
        "pg_signal_backend", "supabase_auth_admin", "supabase_realtime_admin",
    }  # fmt: skip
    settings = scalar(
        compat_db_url,
        "select setconfig from pg_db_role_setting where setrole = 'authenticator'::regrole",
    )
    assert sorted(settings) == ["lock_timeout=8s", "statement_timeout=8s"]  # type: ignore[arg-type]


def test_the_platform_belongs_to_its_roles(compat_db_url: str) -> None:
    owners = dict(
        query(
            compat_db_url,
            "select 'schema ' || nspname, pg_get_userbyid(nspowner) from pg_namespace "
            "where nspname in ('auth', 'realtime') union all "
            "select 'table ' || oid::regclass, pg_get_userbyid(relowner) from pg_class "
            "where oid in ('auth.users'::regclass, 'realtime.messages'::regclass) union all "
            "select 'function ' || oid::regprocedure, pg_get_userbyid(proowner) from pg_proc "
            "where oid in ('auth.uid'::regproc, 'realtime.send'::regproc) union all "
            "select 'publication ' || pubname, pg_get_userbyid(pubowner) from pg_publication",
        )
    )
    assert owners == {
        "schema auth": "supabase_admin",
        "schema realtime": "supabase_admin",
        "table auth.users": "supabase_auth_admin",
        "table realtime.messages": "supabase_realtime_admin",
        "function auth.uid()": "supabase_auth_admin",
        "function realtime.send(jsonb,text,text,boolean)": "supabase_realtime_admin",
        "publication supabase_realtime": "postgres",
    }


def test_auth_users_is_gotrues(compat_db_url: str) -> None:
    columns = dict(
        query(
            compat_db_url,
            "select column_name, column_default from information_schema.columns "
            "where table_schema = 'auth' and table_name = 'users'",
        )
    )
    assert len(columns) == 35
    assert columns["id"] is None and columns["created_at"] is None  # GoTrue sends both
    assert (
        scalar(
            compat_db_url,
            "select is_generated from information_schema.columns where table_schema = 'auth' "
            "and table_name = 'users' and column_name = 'confirmed_at'",
        )
        == "ALWAYS"
    )
    with pytest.raises(psycopg.errors.NotNullViolation):
        query(compat_db_url, "insert into auth.users (email) values ('no-id@zora.test')")
    # The same email may exist once among password users, again as an SSO user.
    for sso in (False, True):
        query(
            compat_db_url,
            "insert into auth.users (id, email, is_sso_user) values (gen_random_uuid(), "
            "'twice@zora.test', %s)",
            [sso],
        )
    with pytest.raises(psycopg.errors.UniqueViolation):
        query(
            compat_db_url,
            "insert into auth.users (id, email) values (gen_random_uuid(), 'twice@zora.test')",
        )


def test_realtime_messages_is_partitioned_by_day(compat_db_url: str) -> None:
    days = scalar(
        compat_db_url,
        "select count(*) from pg_inherits where inhparent = 'realtime.messages'::regclass",
    )
    assert days == 5  # yesterday to three days ahead
    query(
        compat_db_url,
        "insert into realtime.messages (topic, extension, binary_payload) "
        "values ('today', 'broadcast', '\\x00')",
    )
    with pytest.raises(psycopg.errors.CheckViolation):  # no partition for that day
        query(
            compat_db_url,
            "insert into realtime.messages (topic, extension, inserted_at) "
            "values ('later', 'broadcast', now() + interval '30 days')",
        )


def test_a_policy_statement_by_the_owner_locks_the_platforms_tables(compat_db_url: str) -> None:
    # supautils, as projects still run it: whichever table the policy names.
    with psycopg.connect(compat_db_url) as conn:
        conn.execute("create table public.t (id int)")
        conn.execute("create policy p on public.t using (true)")
        locked = conn.execute(
            "select relation::regclass::text from pg_locks where pid = pg_backend_pid() "
            "and mode = 'AccessExclusiveLock' and relation in "
            "('auth.users'::regclass, 'realtime.messages'::regclass) order by 1"
        ).fetchall()
    assert locked == [("auth.users",), ("realtime.messages",)]


def test_a_superusers_policy_statement_locks_nothing_else(
    server: Throwaway, compat_db_url: str
) -> None:
    with psycopg.connect(as_superuser(server, compat_db_url)) as conn:
        conn.execute("create table public.t (id int)")
        conn.execute("create policy p on public.t using (true)")
        locked = conn.execute(
            "select count(*) from pg_locks where pid = pg_backend_pid() "
            "and relation = 'auth.users'::regclass"
        ).fetchone()
    assert locked == (0,)


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


def test_a_supabase_database_is_left_alone(server: Throwaway, vanilla_db_url: str) -> None:
    # An auth schema the layer did not make is Supabase's (GoTrue's): nothing is touched,
    # and a piece it lacks is the platform's to bring, not bootstrap's.
    query(as_superuser(server, vanilla_db_url), "create schema auth")
    assert bootstrap(vanilla_db_url) is BootstrapOutcome.SUPABASE
    assert scalar(vanilla_db_url, "select to_regnamespace('realtime')") is None
    with psycopg.connect(vanilla_db_url) as conn, pytest.raises(CompatLayerMissing) as info:
        require_compat_layer(conn)
    assert "its auth schema is Supabase's" in str(info.value)
    assert "zora-db bootstrap` against it" not in str(info.value)


def test_a_vanilla_database_is_told_to_bootstrap(vanilla_db_url: str) -> None:
    with psycopg.connect(vanilla_db_url) as conn, pytest.raises(CompatLayerMissing) as info:
        require_compat_layer(conn)
    assert "run `zora-db bootstrap` against it once" in str(info.value)


def test_roles_are_per_server_and_never_altered(server: Throwaway, vanilla_db_url: str) -> None:
    # Someone else's anon (another timeout) keeps its settings when a database is bootstrapped.
    superuser = as_superuser(server, vanilla_db_url)
    query(superuser, "alter role anon set statement_timeout = '9s'")
    try:
        bootstrap(vanilla_db_url)
        assert scalar(
            vanilla_db_url,
            "select setconfig from pg_db_role_setting where setrole = 'anon'::regrole",
        ) == ["statement_timeout=9s"]
    finally:
        query(superuser, "alter role anon set statement_timeout = '3s'")


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_api_roles_cannot_write_auth_users(compat_db_url: str, role: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_user(
            compat_db_url,
            "insert into auth.users (email) values ('x@y.z') returning id",
            {"sub": USER_ID},
            role=role,
        )


def test_a_database_of_an_earlier_layer_is_brought_along(vanilla_db_url: str) -> None:
    # What bootstrap made before the layer followed Supabase's shapes: auth.users
    # with an id default, realtime.messages not partitioned. Bootstrap must not fail.
    query(
        vanilla_db_url,
        """
        create schema auth;
        comment on schema auth is 'zora-db Supabase compatibility layer';
        create table auth.users (instance_id uuid, id uuid primary key default gen_random_uuid(),
          email varchar(255), phone text, raw_user_meta_data jsonb,
          is_anonymous boolean not null default false);
        create schema realtime;
        create table realtime.messages (id uuid not null default gen_random_uuid(),
          topic text not null, extension text not null, payload jsonb, event text,
          private boolean default false, updated_at timestamp not null default now(),
          inserted_at timestamp not null default now(), primary key (id, inserted_at));
        """,
    )
    assert bootstrap(vanilla_db_url) is BootstrapOutcome.INSTALLED
    with psycopg.connect(vanilla_db_url) as conn:
        assert missing_pieces(conn) == []
