"""zora-db lint: our schema is clean, and each classic mistake, planted, is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.conftest import query
from zora_db.catalog import introspect
from zora_db.lint import LINTS, Category, Level, run_lints


def test_our_schema_lints_clean(db_url: str) -> None:
    assert run_lints(introspect(db_url)) == []


PLANTED = [
    pytest.param(
        "create table public.leaky (id int primary key)",
        "rls_disabled_in_public",
        "public.leaky",
        id="rls-disabled",
    ),
    pytest.param(
        "alter table public.categories disable row level security",
        "policy_exists_rls_disabled",
        "public.categories",
        id="policies-but-rls-off",
    ),
    pytest.param(
        "create table public.locked (id int primary key);"
        "alter table public.locked enable row level security;"
        "grant select on public.locked to authenticated",
        "rls_enabled_no_policy",
        "public.locked",
        id="rls-on-no-policy",
    ),
    pytest.param(
        "create function public.answer() returns int language sql as 'select 42'",
        "function_search_path_mutable",
        "public.answer()",
        id="mutable-search-path",
    ),
    pytest.param(
        "create function private.helper(x int) returns int language sql security definer "
        "as 'select x'",
        "function_search_path_mutable",
        "private.helper(x integer)",
        id="definer-mutable-search-path",
    ),
    pytest.param(
        "create function public.peek() returns bigint language sql security definer "
        "set search_path = '' as 'select count(*) from public.orders'",
        "security_definer_function_exposed",
        "public.peek()",
        id="definer-function-exposed",
    ),
    pytest.param(
        "create view public.shop_names as select shop_name from public.vendors",
        "security_definer_view",
        "public.shop_names",
        id="definer-view",
    ),
    pytest.param(
        "create view public.emails with (security_invoker = true) as "
        "select id, email from auth.users; grant select on public.emails to authenticated",
        "auth_users_exposed",
        "public.emails",
        id="auth-users-exposed",
    ),
    pytest.param(
        "alter policy favorites_owner on public.favorites "
        "using (user_id = auth.uid()) with check (user_id = auth.uid())",
        "auth_rls_initplan",
        "public.favorites policy favorites_owner",
        id="per-row-auth-uid",
    ),
    pytest.param(
        "alter policy notifications_select on public.notifications "
        "using (user_id = (select auth.uid()) or private.is_admin())",
        "auth_rls_initplan",
        "public.notifications policy notifications_select",
        id="per-row-helper",
    ),
    pytest.param(
        "create policy good_reviews on public.reviews for select to anon using (rating > 3)",
        "multiple_permissive_policies",
        "public.reviews",
        id="two-permissive-policies",
    ),
    pytest.param(
        "drop index public.favorites_product_id_idx",
        "unindexed_foreign_keys",
        "public.favorites favorites_product_id_fkey",
        id="unindexed-fk",
    ),
    pytest.param(
        "create index orders_by_user on public.orders (user_id, created_at desc)",
        "duplicate_index",
        "public.orders",
        id="duplicate-index",
    ),
    pytest.param(
        "create table public.keyless (x int); alter table public.keyless enable row level security",
        "no_primary_key",
        "public.keyless",
        id="no-primary-key",
    ),
    pytest.param(
        "create extension pg_trgm with schema public",
        "extension_in_public",
        "extension pg_trgm",
        id="extension-in-public",
    ),
    pytest.param(
        "create policy anyone_deletes on public.device_tokens as restrictive "
        "for delete to authenticated using (true)",
        "rls_policy_always_true",
        "public.device_tokens policy anyone_deletes",
        id="always-true-write",
    ),
    pytest.param(
        "alter publication supabase_realtime drop table public.messages",
        "realtime_table_not_published",
        "public.messages",
        id="realtime-table-missing",
    ),
    pytest.param(
        "alter table public.orders replica identity default",
        "realtime_replica_identity",
        "public.orders",
        id="orders-replica-identity",
    ),
    pytest.param(
        "alter table public.cart_items replica identity default",
        "realtime_replica_identity",
        "public.cart_items",
        id="filtered-delete-replica-identity",
    ),
    pytest.param(
        "alter table public.orders add column tip numeric check (tip >= 0); "
        "grant insert (tip) on public.orders to authenticated",
        "money_accepts_nan",
        "public.orders.tip",
        id="nan-money",
    ),
    pytest.param(
        "alter table public.addresses drop constraint addresses_label_length",
        "unbounded_text",
        "public.addresses.label",
        id="unbounded-text",
    ),
]


@pytest.mark.parametrize(("planted", "lint", "obj"), PLANTED)
def test_a_planted_mistake_is_reported(db_url: str, planted: str, lint: str, obj: str) -> None:
    query(db_url, planted)
    findings = run_lints(introspect(db_url))
    assert (lint, obj) in {(f.lint, f.object) for f in findings}
    # Only the planted mistake (and what it implies) is reported.
    assert all(f.object.startswith(obj.split(" ")[0]) or f.object == obj for f in findings)


def test_every_lint_is_planted_by_a_test() -> None:
    planted = {p.values[1] for p in PLANTED}
    assert planted == {lint.name for lint in LINTS}


def test_a_wrapped_call_is_not_reported(db_url: str) -> None:
    query(
        db_url,
        "alter policy favorites_owner on public.favorites "
        "using (user_id = (select auth.uid()) and (select current_setting('app.x', true)) "
        "is null)",
    )
    assert run_lints(introspect(db_url)) == []


def test_a_restrictive_policy_is_not_one_of_several_permissive(db_url: str) -> None:
    query(
        db_url,
        "create policy only_rated on public.reviews as restrictive for select to anon "
        "using (rating > 0)",
    )
    assert run_lints(introspect(db_url)) == []


def test_an_index_covering_the_key_in_another_order_counts(db_url: str) -> None:
    query(
        db_url,
        "drop index public.favorites_product_id_idx;"
        "create index favorites_product_user_idx on public.favorites (product_id, user_id)",
    )
    assert run_lints(introspect(db_url)) == []


def test_a_view_that_checks_as_invoker_and_hides_auth_users_is_fine(db_url: str) -> None:
    query(
        db_url,
        "create view public.open_shops with (security_invoker = true) as "
        "select id, shop_name from public.vendors where is_verified;"
        "grant select on public.open_shops to anon",
    )
    assert run_lints(introspect(db_url)) == []


# --------------------------------------------------------------------------- the command


def test_cli_fails_at_warn_by_default_and_as_told(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = run_cli(capsys, "lint", "--database-url", db_url)
    assert (clean.code, clean.out.strip()) == (0, "no findings")

    query(db_url, "drop index public.favorites_product_id_idx")  # info only
    info = run_cli(capsys, "lint", "--database-url", db_url)
    assert info.code == 0 and "unindexed_foreign_keys" in info.out
    assert run_cli(capsys, "lint", "-d", db_url, "--fail-on", "info").code == 10

    query(db_url, "create table public.leaky (id int primary key)")
    error = run_cli(capsys, "lint", "--database-url", db_url, "--json")
    assert error.code == 10
    report = json.loads(error.out)
    leaky = next(f for f in report["findings"] if f["object"] == "public.leaky")
    assert leaky == {
        "lint": "rls_disabled_in_public",
        "level": Level.ERROR,
        "category": Category.SECURITY,
        "object": "public.leaky",
        "detail": "row level security is off: every granted row is readable",
        "remediation": "alter table public.leaky enable row level security, and add policies "
        "for what clients may do",
        "allowed": None,
    }
    assert report["failed"] == 1 and report["fail_on"] == "warn"
    assert run_cli(capsys, "lint", "-d", db_url, "--fail-on", "error").code == 10
    assert run_cli(capsys, "lint", "-d", db_url, "--fail-on", "fatal").code == 3  # a bad value


PLANTED_DEFINER = (
    "create function public.planted_admin_backdoor_with_a_long_name(target uuid) "
    "returns void language plpgsql security definer as 'begin end';"
    "grant execute on function public.planted_admin_backdoor_with_a_long_name(uuid) to anon"
)
DEFINER = "public.planted_admin_backdoor_with_a_long_name(target uuid)"


def test_a_planted_definer_function_fails_ci_in_whole_lines(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two warnings (no search_path, callable by anon) fail the default gate, printed uncut."""
    query(db_url, PLANTED_DEFINER)
    outcome = run_cli(capsys, "lint", "-d", db_url)  # captured: not a terminal
    assert outcome.code == 10
    lines = outcome.out.strip().splitlines()
    assert f"warn function_search_path_mutable {DEFINER}: " in lines[0] + lines[1]
    for line in lines:
        assert line.count(DEFINER) >= 2, line  # the object, and the fix that names it
    assert f"(fix: alter function {DEFINER} set search_path = ''" in outcome.out
    assert "2 finding(s) at warn or above" in outcome.err


def test_an_allow_list_accepts_reviewed_findings_only(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query(db_url, PLANTED_DEFINER)
    allow = tmp_path / "lint.toml"
    allow.write_text(
        "[[allow]]\n"
        'lint = "function_search_path_mutable"\n'
        f'object = "{DEFINER}"\n'
        'reason = "reviewed: the body names no object"\n'
    )
    partly = run_cli(capsys, "lint", "-d", db_url, "--allow-list", str(allow))
    assert partly.code == 10  # the other warning is not reviewed
    assert "[allowed: reviewed: the body names no object]" in partly.out
    with allow.open("a") as file:
        file.write(
            '[[allow]]\nlint = "security_definer_function_exposed"\n'
            f'object = "{DEFINER}"\nreason = "anon may call it by design"\n'
            '[[allow]]\nlint = "no_primary_key"\nobject = "public.gone"\nreason = "old"\n'
        )
    accepted = run_cli(capsys, "lint", "-d", db_url, "--allow-list", str(allow))
    assert accepted.code == 0, accepted.out
    assert "public.gone, which has no such finding: remove the entry" in accepted.err


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('lint = "no_primary_key"\nobject = "public.t"\n', "needs lint, object and reason"),
        ('lint = "nope"\nobject = "public.t"\nreason = "r"\n', "unknown lint 'nope'"),
        ("lint = \n", "is not valid TOML"),
    ],
)
def test_a_bad_allow_list_is_refused(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, message: str
) -> None:
    allow = tmp_path / "lint.toml"
    allow.write_text("[[allow]]\n" + entry)
    outcome = run_cli(capsys, "lint", "-d", db_url, "--allow-list", str(allow))
    assert outcome.code == 3 and message in outcome.err and "Traceback" not in outcome.err
    missing = run_cli(capsys, "lint", "-d", db_url, "--allow-list", str(tmp_path / "no.toml"))
    assert missing.code == 3 and "no allow-list at" in missing.err


def test_cli_without_a_url_lints_a_throwaway_at_head(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ZORA_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = run_cli(capsys, "lint")
    assert result.code == 0, result.err
    assert "temporary database on a throwaway server" in result.err
    assert result.out.strip() == "no findings"


def test_cli_only_the_schemas_asked_for(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    query(db_url, "create function private.helper() returns int language sql as 'select 1'")
    assert run_cli(capsys, "lint", "-d", db_url, "--schema", "public").code == 0
    result = run_cli(capsys, "lint", "-d", db_url, "--schema", "private", "--json")
    assert [f["lint"] for f in json.loads(result.out)["findings"]] == [
        "function_search_path_mutable"
    ]


def test_cli_lists_every_lint_of_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    # Read from the registry, not written by hand: a new lint is listed by declaring it.
    from zora_db.lint import LINTS

    result = run_cli(capsys, "lint", "--list")
    assert result.code == 0
    listed = [line.split(" ", 1)[0] for line in result.out.splitlines()]
    assert listed == [lint.name for lint in LINTS] and len(listed) >= 18
