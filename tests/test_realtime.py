"""The realtime engine: each of Supabase Realtime's delivery rules on its own.

Changes are made for real and read from a wal2json slot (pgoutput where
said); subscriptions are decided by ``zora_db.realtime.Deliverer``. Each
rule has a case where it lets an event through and one where it stops it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.conftest import query, scalar
from zora_db.acting import claims_for
from zora_db.catalog import introspect
from zora_db.errors import RealtimeUnavailable, SubscriptionError
from zora_db.realtime import Change, ChangeStream, Deliverer, Subscription, parse_filters
from zora_db.realtime.delivery import ERROR_NO_KEY, ERROR_TOO_LARGE, ERROR_UNAUTHORIZED
from zora_db.realtime.subscriptions import Filter
from zora_db.seed import seed_id
from zora_db.urls import with_params

ALICE, BOB = str(seed_id("user:alice")), str(seed_id("user:bob"))
CAMDEN = str(seed_id("vendor:camden-bakery"))
BUN = str(seed_id("product:camden-bakery:Cinnamon bun"))


def customer(uid: str) -> dict[str, str]:
    return claims_for(uid)


ANON = claims_for(None)

Decide = Callable[..., list[tuple[Change, dict[str, dict[str, Any]]]]]


@pytest.fixture
def decide(seeded_db_url: str) -> Iterator[Decide]:
    """Run statements (as the owner), then decide every change for the subscriptions.

    Returns, per change, the payload each subscription (by label) received.
    """
    streams: list[ChangeStream] = []

    def run(
        statements: list[str],
        subscriptions: list[Subscription],
        *,
        plugin: str = "auto",
        max_record_bytes: int = 1024 * 1024,
        setup: str | None = None,
    ) -> list[tuple[Change, dict[str, dict[str, Any]]]]:
        if setup:
            query(seeded_db_url, setup)
        stream = ChangeStream(seeded_db_url, plugin=plugin)
        streams.append(stream)
        with psycopg.connect(seeded_db_url, autocommit=True) as writer:
            writer.execute("set synchronous_commit = on")
            for statement in statements:
                writer.execute(statement)  # type: ignore[arg-type]
            lsn = scalar(seeded_db_url, "select pg_current_wal_lsn()::text")
        changes = stream.read(until=str(lsn))
        with psycopg.connect(seeded_db_url) as conn:
            deliverer = Deliverer(
                conn, introspect(seeded_db_url), max_record_bytes=max_record_bytes
            )
            return [
                (c, {str(d.subscription): d.payload for d in deliverer.decide(c, subscriptions)})
                for c in changes
            ]

    yield run
    for stream in streams:
        stream.close()


def only(results: list[tuple[Change, dict[str, dict[str, Any]]]], action: str, table: str) -> Any:
    found = [got for change, got in results if change.action == action and change.table == table]
    assert len(found) == 1, [(c.action, c.table) for c, _ in results]
    return found[0]


# --------------------------------------------------------------------------- filters


def test_filters_parse_as_realtime_reads_them() -> None:
    assert parse_filters("user_id=eq.abc") == (Filter("user_id", "eq", "abc"),)
    assert parse_filters('status=in.(pending,"con,firmed"),total=not.gt.5') == (
        Filter("status", "in", '{pending,"con,firmed"}'),
        Filter("total", "gt", "5", negate=True),
    )
    assert parse_filters('name=eq."a,b"') == (Filter("name", "eq", "a,b"),)
    assert parse_filters("  ") == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("user_id", "is not column=operator.value"),
        ("user_id=equals.1", "is not column=operator.value"),
        ("a=eq.1,,b=eq.2", "empty part"),
        ("status=in.pending", "in parentheses"),
        ("notes=is.maybe", "is takes null"),
    ],
)
def test_bad_filters_are_refused_with_what_to_write(text: str, problem: str) -> None:
    with pytest.raises(SubscriptionError, match=problem):
        parse_filters(text)


@pytest.mark.usefixtures("wal2json")
def test_filters_compare_with_the_column_types_operators(decide: Decide) -> None:
    subs = [
        Subscription("orders", customer(ALICE), filter=f"user_id=eq.{ALICE.upper()}", label="uuid"),
        Subscription("orders", customer(ALICE), filter="delivery_fee=eq.2.5", label="numeric"),
        Subscription("orders", customer(ALICE), filter="status=in.(pending,confirmed)", label="in"),
        Subscription("orders", customer(ALICE), filter="total=gt.1000", label="gt"),
        Subscription("orders", customer(ALICE), filter="total=not.gt.1000", label="not"),
        Subscription("orders", customer(ALICE), filter="notes=is.null", label="is null"),
        Subscription("orders", customer(ALICE), filter="notes=like.ring%", label="like"),
        Subscription(
            "orders", customer(ALICE), filter=f"user_id=eq.{ALICE},status=eq.refunded", label="and"
        ),
    ]
    results = decide(
        [
            f"update public.orders set notes = 'ring twice' where id = (select id from "
            f"public.orders where user_id = '{ALICE}' and status = 'pending' limit 1)"
        ],
        subs,
    )
    got = only(results, "UPDATE", "orders")
    assert set(got) == {"uuid", "numeric", "in", "not", "like"}


# --------------------------------------------------------------------------- RLS


def test_insert_and_update_reach_only_who_may_read_the_row(decide: Decide) -> None:
    subs = [
        Subscription("notifications", customer(ALICE), label="alice"),
        Subscription("notifications", customer(BOB), label="bob"),
        Subscription("notifications", customer(str(seed_id("user:admin"))), label="admin"),
    ]
    results = decide(
        [
            f"insert into public.notifications (user_id, type, title) "
            f"values ('{ALICE}', 'system', 'Hello')",
        ],
        subs,
    )
    got = only(results, "INSERT", "notifications")
    assert set(got) == {"alice", "admin"}
    assert got["alice"]["new"]["title"] == "Hello" and got["alice"]["old"] == {}


def test_an_update_that_hides_the_row_sends_nothing(decide: Decide) -> None:
    subs = [
        Subscription("products", ANON, label="anon"),
        Subscription("products", customer(str(seed_id("user:camden-bakery"))), label="vendor"),
    ]
    results = decide([f"update public.products set is_active = false where id = '{BUN}'"], subs)
    assert set(only(results, "UPDATE", "products")) == {"vendor"}


def test_a_delete_is_not_checked_and_carries_only_the_key(decide: Decide) -> None:
    subs = [
        Subscription("products", ANON, label="anon"),
        Subscription("products", ANON, filter=f"vendor_id=eq.{CAMDEN}", label="by shop"),
        Subscription("reviews", ANON, label="reviews"),
    ]
    results = decide(
        [
            # Hidden from anon first: the DELETE still reaches anon (Supabase's limit).
            f"update public.products set is_active = false where id = '{BUN}'",
            f"delete from public.products where id = '{BUN}'",
        ],
        subs,
    )
    got = only(results, "DELETE", "products")
    assert set(got) == {"anon", "by shop"}  # FULL identity: the shop filter matches the old row
    assert got["anon"]["old"] == {"id": BUN} and got["anon"]["new"] == {}


def test_a_delete_filtered_on_a_column_outside_the_replica_identity_never_arrives(
    decide: Decide,
) -> None:
    subs = [Subscription("cart_items", customer(ALICE), filter=f"user_id=eq.{ALICE}", label="a")]
    delete = f"delete from public.cart_items where user_id = '{ALICE}' and product_id = "
    delete += f"'{seed_id('product:camden-bakery:Sourdough loaf')}'"
    assert set(only(decide([delete], subs), "DELETE", "cart_items")) == {"a"}
    default = "alter table public.cart_items replica identity default"
    remaining = f"delete from public.cart_items where user_id = '{ALICE}'"
    assert only(decide([remaining], subs, setup=default), "DELETE", "cart_items") == {}


# --------------------------------------------------------------------------- payload


@pytest.mark.usefixtures("wal2json")
def test_update_old_row_is_whole_with_full_identity_and_the_key_otherwise(decide: Decide) -> None:
    admin = customer(str(seed_id("user:admin")))
    subs = [
        Subscription("orders", admin, label="orders"),
        Subscription("vendors", admin, label="vendors"),
    ]
    results = decide(
        [
            f"update public.orders set notes = 'x' where id = (select id from public.orders "
            f"where user_id = '{ALICE}' and status = 'pending' limit 1)",
            f"update public.vendors set description = 'Fresh daily' where id = '{CAMDEN}'",
        ],
        subs,
    )
    order = only(results, "UPDATE", "orders")["orders"]
    assert order["old"]["status"] == "pending" and order["old"]["notes"] is None
    assert order["new"]["notes"] == "x"
    assert order["new"]["total"] == order["new"]["subtotal"] + order["new"]["delivery_fee"]
    assert isinstance(order["new"]["total"], Decimal)  # to_jsonb: a number, not a string
    assert only(results, "UPDATE", "vendors")["vendors"]["old"] == {"id": CAMDEN}


def test_columns_the_role_may_not_read_are_left_out(decide: Decide) -> None:
    setup = (
        "revoke select on public.vendors from anon; "
        "grant select (id, shop_name) on public.vendors to anon"
    )
    subs = [Subscription("vendors", ANON, label="anon")]
    results = decide(
        [f"update public.vendors set description = 'x' where id = '{CAMDEN}'"], subs, setup=setup
    )
    assert set(only(results, "UPDATE", "vendors")["anon"]["new"]) == {"id", "shop_name"}


def test_commit_timestamp_is_utc_milliseconds(decide: Decide) -> None:
    subs = [Subscription("reviews", ANON, label="anon")]
    results = decide([f"update public.reviews set comment = 'ok' where user_id = '{ALICE}'"], subs)
    stamps = [got["anon"]["commit_timestamp"] for _, got in results]
    assert stamps and all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s) for s in stamps
    )


# --------------------------------------------------------------------------- errors


def test_a_role_that_may_not_read_the_key_gets_error_401_without_the_row(decide: Decide) -> None:
    subs = [
        Subscription("orders", ANON, label="anon"),
        Subscription("orders", customer(ALICE), label="alice"),
    ]
    results = decide([f"update public.orders set notes = 'x' where user_id = '{ALICE}'"], subs)
    for _, got in results:
        assert got["anon"]["errors"] == [ERROR_UNAUTHORIZED]
        assert got["anon"]["new"] == {} and got["anon"]["old"] == {}
        assert got["alice"]["errors"] is None


def test_a_table_without_a_primary_key_sends_error_400(decide: Decide) -> None:
    setup = (
        "create table public.keyless (note text); "
        "grant select on public.keyless to anon; "
        "alter publication supabase_realtime add table public.keyless"
    )
    subs = [Subscription("keyless", ANON, label="anon")]
    got = only(
        decide(["insert into public.keyless values ('x')"], subs, setup=setup), "INSERT", "keyless"
    )
    assert got["anon"]["errors"] == [ERROR_NO_KEY] and got["anon"]["new"] == {}


def test_an_oversized_change_sends_error_413_and_drops_long_values(decide: Decide) -> None:
    subs = [Subscription("reviews", ANON, label="anon")]
    long = "x" * 200
    results = decide(
        [f"update public.reviews set comment = '{long}' where user_id = '{ALICE}'"],
        subs,
        max_record_bytes=300,
    )
    for _, got in results:
        assert got["anon"]["errors"] == [ERROR_TOO_LARGE]
        assert "comment" not in got["anon"]["new"] and "rating" in got["anon"]["new"]


# --------------------------------------------------------------------------- decoders


@pytest.mark.usefixtures("wal2json")
def test_pgoutput_gives_the_same_decisions_without_generated_columns(decide: Decide) -> None:
    subs = [Subscription("orders", customer(ALICE), filter=f"user_id=eq.{ALICE}", label="a")]
    update = (
        f"update public.orders set notes = 'x' where user_id = '{ALICE}' and status = 'pending'"
    )
    wal2json = decide([update], subs)
    pgoutput = decide([update.replace("'x'", "'y'")], subs, plugin="pgoutput")
    assert [set(g) for _, g in wal2json] == [set(g) for _, g in pgoutput] == [{"a"}]
    assert "total" in wal2json[0][1]["a"]["new"]
    assert "total" not in pgoutput[0][1]["a"]["new"]
    assert pgoutput[0][1]["a"]["new"]["notes"] == "y"


def test_subscribing_checks_the_filter_like_realtime(seeded_db_url: str) -> None:
    with psycopg.connect(seeded_db_url) as conn:
        deliverer = Deliverer(conn, introspect(seeded_db_url))
        deliverer.validate(Subscription("orders", customer(ALICE), filter=f"user_id=eq.{ALICE}"))
        for subscription, problem in (
            (Subscription("nope", ANON), "no table public.nope"),
            (Subscription("orders", customer(ALICE), filter="user_id=eq.42"), "uuid"),
            (Subscription("orders", ANON, filter=f"user_id=eq.{ALICE}"), "anon may read"),
            (Subscription("orders", {"role": "ghost"}), "no role 'ghost'"),
            (Subscription("orders", customer(ALICE), filter="status=like.pend%"), "operator"),
            (Subscription("orders", customer(ALICE), filter="notes=is.true"), "boolean"),
            (
                Subscription(
                    "orders", customer(ALICE), filter=f"status=in.({','.join(['pending'] * 101)})"
                ),
                "too many values",
            ),
        ):
            with pytest.raises(SubscriptionError, match=problem):
                deliverer.validate(subscription)


def as_user(url: str, user: str, password: str) -> str:
    return with_params(url, user=user, password=password)


def test_a_stream_needs_the_publication_and_the_privilege(seeded_db_url: str) -> None:
    query(seeded_db_url, "drop publication supabase_realtime")
    with pytest.raises(RealtimeUnavailable, match="no publication supabase_realtime"):
        ChangeStream(seeded_db_url)
    query(seeded_db_url, "create publication supabase_realtime")
    role = f"zora_stream_{secrets.token_hex(3)}"  # roles are the server's, not the database's
    query(seeded_db_url, f"create role {role} login password 'plain'")
    with pytest.raises(RealtimeUnavailable, match="may not create a replication slot"):
        ChangeStream(as_user(seeded_db_url, role, "plain"))
