"""Catch-up (public.sync_changes): what each app recovers after a gap, as that app's user.

Every test drives the function as the apps' users do (role and JWT claims,
as PostgREST sets them) and compares the replica a client builds with what
the same user may SELECT.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from tests.cli import run_cli
from tests.conftest import acting_as, as_superuser, query, scalar, wait_for_a_lock_wait
from zora_db.catchup import Page, Replica, catch_up, pages_of, sync_page, visible_versions
from zora_db.throwaway import Throwaway
from zora_db.verify.actors import ADMIN, ALICE, ANON, BOB, CAMDEN, SHOREDITCH, Actor


@contextmanager
def as_actor(url: str, actor: Actor) -> Iterator[psycopg.Connection]:
    """A connection whose every transaction is ``actor``'s (autocommit: each call its own)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"set role {actor.role}")
        conn.execute(
            "select set_config('request.jwt.claims', %s, false)",
            [json.dumps(actor.claims, default=str)],
        )
        yield conn


def synced(
    url: str,
    actor: Actor,
    table: str,
    filter_text: str = "",
    *,
    limit: int = 1000,
    replica: Replica | None = None,
) -> Replica:
    replica = replica or Replica(table, filter_text)
    with as_actor(url, actor) as conn:
        return catch_up(pages_of(conn, replica, limit), replica)


def visible(url: str, actor: Actor, table: str, filter_text: str = "") -> dict[str, int]:
    with as_actor(url, actor) as conn:
        return visible_versions(conn, table, filter_text)


def converges(url: str, replica: Replica, actor: Actor) -> None:
    synced(url, actor, replica.table, replica.filter, replica=replica)
    assert replica.versions() == visible(url, actor, replica.table, replica.filter)


def page(
    url: str, actor: Actor, table: str, cursor: str | None, filter_text: str = "", limit: int = 1000
) -> Page:
    with as_actor(url, actor) as conn:
        return sync_page(conn, table, filter_text, cursor, limit)


def mine(actor: Actor) -> str:
    return f"user_id=eq.{actor.uid}"


# ------------------------------------------------------------------ a start


@pytest.mark.parametrize(
    ("actor", "table", "filter_text"),
    [
        (ALICE, "orders", mine(ALICE)),
        (ALICE, "notifications", mine(ALICE)),
        (CAMDEN, "orders", f"vendor_id=eq.{CAMDEN.shop}"),
        (ADMIN, "orders", ""),
        (ANON, "products", ""),
        (BOB, "products", ""),
        (ADMIN, "vendors", "is_verified=eq.false"),
        (ANON, "reviews", ""),
    ],
)
def test_a_start_holds_what_the_caller_may_select(
    seeded_db_url: str, actor: Actor, table: str, filter_text: str
) -> None:
    whole = synced(seeded_db_url, actor, table, filter_text)
    paged = synced(seeded_db_url, actor, table, filter_text, limit=1)
    expected = visible(seeded_db_url, actor, table, filter_text)
    assert expected, "the demo data has rows for this subscription"
    assert whole.versions() == paged.versions() == expected
    assert paged.pages > whole.pages


def test_a_row_holds_what_postgrest_would_return(seeded_db_url: str) -> None:
    replica = synced(seeded_db_url, ALICE, "orders", mine(ALICE))
    with as_actor(seeded_db_url, ALICE) as conn:
        rows = conn.execute("select to_jsonb(o) from public.orders o").fetchall()
    assert {r[0]["id"]: r[0] for r in rows} == replica.rows  # total (generated) included


# ------------------------------------------------------------------ convergence


def test_inserts_updates_and_deletes_converge(seeded_db_url: str) -> None:
    cart = synced(seeded_db_url, ALICE, "cart_items", mine(ALICE))
    orders = synced(seeded_db_url, CAMDEN, "orders", f"vendor_id=eq.{CAMDEN.shop}")
    with acting_as(seeded_db_url, ALICE.uid) as conn:
        product = conn.execute(
            "select id from public.products where vendor_id = %s and is_active limit 1",
            [CAMDEN.shop],
        ).fetchone()
        assert product is not None
        conn.execute(
            "insert into public.cart_items (user_id, product_id, vendor_id, quantity)"
            " values (%s, %s, %s, 1) on conflict (user_id, product_id) do update set quantity = 2",
            [ALICE.uid, product[0], CAMDEN.shop],
        )
    query(
        seeded_db_url, "update public.cart_items set quantity = 3 where user_id = %s", [ALICE.uid]
    )
    query(
        seeded_db_url,
        "delete from public.cart_items where user_id = %s and quantity = 3 "
        "and id = (select id from public.cart_items where user_id = %s order by id limit 1)",
        [ALICE.uid, ALICE.uid],
    )
    query(
        seeded_db_url,
        "update public.orders set notes = 'ring twice' where vendor_id = %s",
        [CAMDEN.shop],
    )
    converges(seeded_db_url, cart, ALICE)
    converges(seeded_db_url, orders, CAMDEN)


def test_receiving_a_page_twice_changes_nothing(seeded_db_url: str) -> None:
    replica = synced(seeded_db_url, ALICE, "orders", mine(ALICE))
    before = replica.cursor
    query(seeded_db_url, "update public.orders set notes = 'again' where user_id = %s", [ALICE.uid])
    answer = page(seeded_db_url, ALICE, "orders", before, mine(ALICE))
    replica.apply(answer)
    once = dict(replica.rows)
    replica.apply(answer)
    assert replica.rows == once
    assert page(seeded_db_url, ALICE, "orders", before, mine(ALICE))["changes"] == answer["changes"]


def test_a_deactivated_product_leaves_the_storefront_but_not_its_buyers(seeded_db_url: str) -> None:
    bought = scalar(
        seeded_db_url,
        "select i.product_id from public.order_items i join public.orders o on o.id = i.order_id"
        " where o.user_id = %s limit 1",
        [ALICE.uid],
    )
    storefront = synced(seeded_db_url, BOB, "products")
    hers = synced(seeded_db_url, ALICE, "products")
    assert str(bought) in storefront.rows and str(bought) in hers.rows
    query(seeded_db_url, "update public.products set is_active = false where id = %s", [bought])
    converges(seeded_db_url, storefront, BOB)
    converges(seeded_db_url, hers, ALICE)
    assert str(bought) not in storefront.rows  # a remove reached bob
    assert hers.rows[str(bought)]["is_active"] is False  # alice still sees what she bought


def _new_shop(url: str) -> uuid.UUID:
    """A verified shop with two products on sale and nothing else (bob opens it)."""
    shop = uuid.uuid4()
    query(
        url,
        "insert into public.vendors (id, user_id, shop_name, is_verified) "
        "values (%s, %s, 'Pop-up', true)",
        [shop, BOB.uid],
    )
    query(
        url,
        "insert into public.products (vendor_id, name, price) "
        "select %s, 'Thing ' || g, 2 from generate_series(1, 2) g",
        [shop],
    )
    return shop


@pytest.mark.parametrize(
    "change",
    [
        "update public.vendors set is_active = false where id = %s",
        "update public.vendors set is_verified = false where id = %s",
        "delete from public.vendors where id = %s",
    ],
    ids=["suspended", "unverified", "deleted"],
)
def test_a_shop_leaving_takes_its_products_with_it(seeded_db_url: str, change: str) -> None:
    shop = _new_shop(seeded_db_url)
    storefront = synced(seeded_db_url, ANON, "products")
    assert sum(r["vendor_id"] == str(shop) for r in storefront.rows.values()) == 2
    query(seeded_db_url, change, [shop])
    converges(seeded_db_url, storefront, ANON)
    assert not any(r["vendor_id"] == str(shop) for r in storefront.rows.values())


def test_a_shop_verified_brings_its_products_in(seeded_db_url: str) -> None:
    query(
        seeded_db_url,
        "update public.vendors set is_verified = false where id = %s",
        [SHOREDITCH.shop],
    )
    storefront = synced(seeded_db_url, ANON, "products")
    assert not any(r["vendor_id"] == str(SHOREDITCH.shop) for r in storefront.rows.values())
    query(
        seeded_db_url,
        "update public.vendors set is_verified = true where id = %s",
        [SHOREDITCH.shop],
    )
    converges(seeded_db_url, storefront, ANON)
    assert any(r["vendor_id"] == str(SHOREDITCH.shop) for r in storefront.rows.values())


def test_a_row_updated_out_of_a_filter_is_removed(seeded_db_url: str) -> None:
    unverified = synced(seeded_db_url, ADMIN, "vendors", "is_verified=eq.false")
    shop = next(iter(unverified.rows))
    query(seeded_db_url, "update public.vendors set is_verified = true where id = %s", [shop])
    converges(seeded_db_url, unverified, ADMIN)
    assert shop not in unverified.rows


def test_an_order_brings_its_buyer_to_the_shop(seeded_db_url: str) -> None:
    buyers = synced(seeded_db_url, SHOREDITCH, "profiles")
    assert str(BOB.uid) not in buyers.rows or True  # whatever it held, it must converge
    product = scalar(
        seeded_db_url,
        "select id from public.products where vendor_id = %s and is_active limit 1",
        [SHOREDITCH.shop],
    )
    address = scalar(
        seeded_db_url, "select id from public.addresses where user_id = %s limit 1", [BOB.uid]
    )
    with acting_as(seeded_db_url, BOB.uid) as conn:
        conn.execute(
            "select public.create_order(%s, %s::jsonb, %s)",
            [SHOREDITCH.shop, f'[{{"product_id": "{product}", "quantity": 1}}]', address],
        )
    converges(seeded_db_url, buyers, SHOREDITCH)
    assert str(BOB.uid) in buyers.rows


def test_a_deleted_conversation_takes_its_messages(seeded_db_url: str) -> None:
    conversation = scalar(seeded_db_url, "select conversation_id from public.messages limit 1")
    customer = scalar(
        seeded_db_url, "select customer_id from public.conversations where id = %s", [conversation]
    )
    who = next(a for a in (ALICE, BOB) if a.uid == customer)
    messages = synced(seeded_db_url, who, "messages")
    assert messages.rows
    query(seeded_db_url, "delete from public.conversations where id = %s", [conversation])
    converges(seeded_db_url, messages, who)
    assert not any(r["conversation_id"] == str(conversation) for r in messages.rows.values())


def test_a_new_role_starts_the_user_again(seeded_db_url: str) -> None:
    replica = synced(seeded_db_url, BOB, "orders")
    query(seeded_db_url, "update public.profiles set role = 'admin' where id = %s", [BOB.uid])
    answer = page(seeded_db_url, BOB, "orders", replica.cursor)
    assert answer["reset"] is True and answer["cursor"] is None
    converges(seeded_db_url, replica, BOB)  # now every order, as an admin
    assert replica.resets == 1
    assert len(replica.rows) == scalar(seeded_db_url, "select count(*) from public.orders")


# ------------------------------------------------------------------ private removals


def test_removals_never_name_rows_the_caller_could_not_see(seeded_db_url: str) -> None:
    # Bob resumes unfiltered subscriptions while alice's rows change and go.
    tables = ("cart_items", "orders", "notifications", "order_items", "products")
    replicas = {t: synced(seeded_db_url, BOB, t) for t in tables}
    hers = {
        t: {
            str(r[0])
            for r in query(
                seeded_db_url, f"select id from public.{t} where user_id = %s", [ALICE.uid]
            )
        }
        for t in ("cart_items", "orders", "notifications")
    }
    query(seeded_db_url, "delete from public.cart_items where user_id = %s", [ALICE.uid])
    query(seeded_db_url, "delete from public.notifications where user_id = %s", [ALICE.uid])
    query(seeded_db_url, "update public.orders set notes = 'x' where user_id = %s", [ALICE.uid])
    secret = uuid.uuid4()  # a product that was never public: made inactive, then deleted
    query(
        seeded_db_url,
        "insert into public.products (id, vendor_id, name, price, is_active) "
        "values (%s, %s, 'secret', 1, false)",
        [secret, CAMDEN.shop],
    )
    query(seeded_db_url, "delete from public.products where id = %s", [secret])
    named: set[str] = set()
    for table, replica in replicas.items():
        with as_actor(seeded_db_url, BOB) as conn:
            catch_up(
                pages_of(conn, replica),
                replica,
                on_page=lambda p: named.update(str(c["id"]) for c in p["changes"]),
            )
        assert replica.versions() == visible(seeded_db_url, BOB, table)
    assert not named & set().union(*hers.values())
    assert str(secret) not in named


def test_the_log_itself_is_private(seeded_db_url: str) -> None:
    query(seeded_db_url, "update public.orders set notes = 'x' where user_id = %s", [ALICE.uid])
    with as_actor(seeded_db_url, BOB) as conn:
        seen = conn.execute("select distinct audience from private.changes").fetchall()
    assert {str(a) for (a,) in seen} <= {str(BOB.uid), "00000000-0000-0000-0000-000000000000"}


# ------------------------------------------------------------------ transactions and gaps


def test_a_late_commit_holds_readers_back_and_is_never_skipped(seeded_db_url: str) -> None:
    replica = synced(seeded_db_url, ALICE, "notifications", mine(ALICE))
    insert = (
        "insert into public.notifications (user_id, type, title, description) "
        "values (%s, 'system', %s, 'b')"
    )
    early = psycopg.connect(seeded_db_url)  # takes its xid first, commits last
    try:
        early.execute(insert, [ALICE.uid, "early"])
        query(seeded_db_url, insert, [ALICE.uid, "late"])
        held = page(seeded_db_url, ALICE, "notifications", replica.cursor, mine(ALICE))
        assert held["changes"] == []  # "late" waits behind "early"
        assert held["held_back"]["transactions"] >= 1
        replica.apply(held)
        early.commit()
    finally:
        early.close()
    converges(seeded_db_url, replica, ALICE)
    titles = {r["title"] for r in replica.rows.values()}
    assert {"early", "late"} <= titles


def test_pages_never_split_a_transaction(seeded_db_url: str) -> None:
    replica = synced(seeded_db_url, ALICE, "notifications", mine(ALICE))
    insert = (
        "insert into public.notifications (user_id, type, title, description) "
        "select %s, 'system', 't' || g, 'b' from generate_series(1, %s) g"
    )
    query(seeded_db_url, insert, [ALICE.uid, 2])
    query(seeded_db_url, insert, [ALICE.uid, 3])
    first = page(seeded_db_url, ALICE, "notifications", replica.cursor, mine(ALICE), limit=4)
    assert len(first["changes"]) == 2 and first["more"] is True  # not 2 + 2 of 3
    second = page(seeded_db_url, ALICE, "notifications", first["cursor"], mine(ALICE), limit=2)
    assert len(second["changes"]) == 2 and second["more"] is True  # alone over the limit: split
    third = page(seeded_db_url, ALICE, "notifications", second["cursor"], mine(ALICE), limit=2)
    assert len(third["changes"]) == 1 and third["more"] is False


# ------------------------------------------------------------------ versions and conflicts


def test_every_write_takes_a_new_version_the_client_cannot_forge(seeded_db_url: str) -> None:
    order = scalar(
        seeded_db_url, "select id from public.orders where user_id = %s limit 1", [ALICE.uid]
    )
    before = scalar(seeded_db_url, "select version from public.orders where id = %s", [order])
    query(seeded_db_url, "update public.orders set version = 1 where id = %s", [order])
    after = scalar(seeded_db_url, "select version from public.orders where id = %s", [order])
    assert isinstance(before, int) and isinstance(after, int) and after > before and after != 1


def test_two_optimistic_writers_one_wins_the_other_learns(seeded_db_url: str) -> None:
    product = scalar(
        seeded_db_url, "select id from public.products where vendor_id = %s limit 1", [CAMDEN.shop]
    )
    version = scalar(seeded_db_url, "select version from public.products where id = %s", [product])
    update = (
        "update public.products set price = %s where id = %s and version = %s returning version"
    )
    results: dict[str, list[Any]] = {}
    with acting_as(seeded_db_url, CAMDEN.uid) as portal:
        results["portal"] = portal.execute(update, [5, product, version]).fetchall()

        def dashboard() -> None:
            with acting_as(seeded_db_url, ADMIN.uid) as conn:
                results["dashboard"] = conn.execute(update, [7, product, version]).fetchall()

        second = threading.Thread(target=dashboard)
        second.start()
        wait_for_a_lock_wait(seeded_db_url)
    second.join(timeout=10)
    assert len(results["portal"]) == 1 and results["dashboard"] == []
    assert scalar(seeded_db_url, "select price from public.products where id = %s", [product]) == 5


# ------------------------------------------------------------------ reset and retention


def test_a_cursor_from_elsewhere_or_the_future_is_reset(seeded_db_url: str) -> None:
    cursor = synced(seeded_db_url, ALICE, "orders", mine(ALICE)).cursor
    assert cursor is not None
    other_epoch = cursor.replace(cursor.split(":")[1], "0" * 12)
    future = ":".join([*cursor.split(":")[:3], str(2**40), "0"])
    for bad in (other_epoch, future):
        answer = page(seeded_db_url, ALICE, "orders", bad, mine(ALICE))
        assert answer == {"cursor": None, "more": False, "reset": True, "changes": []}


def test_pruning_resets_the_cursors_it_passes(seeded_db_url: str) -> None:
    old = synced(seeded_db_url, ALICE, "orders", mine(ALICE)).cursor
    query(seeded_db_url, "update public.orders set notes = 'n' where user_id = %s", [ALICE.uid])
    fresh_before = synced(seeded_db_url, ALICE, "orders", mine(ALICE))
    pruned = scalar(seeded_db_url, "select private.prune_changes('0 seconds')")
    assert isinstance(pruned, int) and pruned > 0
    assert page(seeded_db_url, ALICE, "orders", old, mine(ALICE))["reset"] is True
    query(seeded_db_url, "update public.orders set notes = 'm' where user_id = %s", [ALICE.uid])
    converges(seeded_db_url, fresh_before, ALICE)  # a cursor past the pruned part goes on


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("table", "filter_text", "cursor", "limit", "says"),
    [
        ("payments", "", None, 10, "is not a table of the supabase_realtime publication"),
        ("orders", "user_id=like.x", None, 10, "cannot read the filter"),
        ("orders", "nope=eq.1", None, 10, "has no column nope"),
        ("orders", "", None, 0, "out of range"),
        ("orders", "", "garbage", 10, "is not a cursor"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    seeded_db_url: str, table: str, filter_text: str, cursor: str | None, limit: int, says: str
) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=says):
        page(seeded_db_url, ALICE, table, cursor, filter_text, limit)


# ------------------------------------------------------------------ racing


RACING_PAGES = 200  # pages read while three writers commit, each after a short random pause
PEOPLE = {
    "customer": (ALICE, BOB),
    "vendor": (CAMDEN, SHOREDITCH),
    "admin": (ADMIN,),
    "anyone": (ANON, ALICE, CAMDEN),
}


def _writer(url: str, seed: int, stop: threading.Event, errors: list[BaseException]) -> None:
    """The apps' writes at random, some held open for a while, some rolled back."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible race, not a secret
    moves = [
        (
            "update public.orders set notes = md5(random()::text) where id = (select id from"
            " public.orders order by random() limit 1)",
            (),
        ),
        (
            "insert into public.notifications (user_id, type, title) values (%s, 'system', 'n')",
            (ALICE.uid,),
        ),
        (
            "delete from public.notifications where id = (select id from public.notifications"
            " where user_id = %s order by random() limit 1)",
            (BOB.uid,),
        ),
        (
            "insert into public.cart_items (user_id, product_id, vendor_id) select %s, p.id,"
            " p.vendor_id from public.products p where p.is_active order by random() limit 1"
            " on conflict (user_id, product_id) do update set quantity = least(cart_items.quantity"
            " + 1, 999)",
            (BOB.uid,),
        ),
        (
            "delete from public.cart_items where id = (select id from public.cart_items"
            " where user_id = %s order by random() limit 1)",
            (ALICE.uid,),
        ),
        (
            "update public.products set is_active = not is_active where id = (select id from"
            " public.products where vendor_id = %s order by random() limit 1)",
            (CAMDEN.shop,),
        ),
        ("update public.vendors set is_active = not is_active where id = %s", (SHOREDITCH.shop,)),
        (
            "update public.vendors set is_verified = not is_verified where id = %s",
            (SHOREDITCH.shop,),
        ),
    ]
    try:
        with psycopg.connect(url) as conn:
            while not stop.is_set():
                try:
                    for _ in range(rng.randint(1, 3)):
                        statement, params = rng.choice(moves)
                        conn.execute(statement, params)
                except psycopg.errors.DeadlockDetected:
                    # Random statements in random order may deadlock one another:
                    # one more aborted transaction, which is what this race wants.
                    conn.rollback()
                    continue
                if rng.random() < 0.2:
                    time.sleep(rng.uniform(0.05, 0.6))  # a transaction held open
                if rng.random() < 0.15:
                    conn.rollback()
                else:
                    conn.commit()
    except BaseException as exc:  # surfaced by the test
        errors.append(exc)


def test_racing_writers_and_pausing_clients_converge_without_leaks(seeded_db_url: str) -> None:
    from zora_db.contract import APP_SUBSCRIPTIONS

    replicas: list[tuple[Actor, Replica]] = []
    for sub in APP_SUBSCRIPTIONS:
        for actor in PEOPLE[sub.subscriber]:
            filter_text = sub.filter.format(uid=actor.uid, shop=actor.shop)
            replicas.append((actor, Replica(sub.table.removeprefix("public."), filter_text)))
    # Unfiltered private subscriptions: what they name must be the caller's own.
    private = [
        (BOB, Replica("cart_items")),
        (ALICE, Replica("notifications")),
        (BOB, Replica("orders")),
    ]
    replicas += private
    named: dict[int, set[str]] = {id(r): set() for _, r in replicas}
    stop, errors = threading.Event(), []
    writers = [
        threading.Thread(target=_writer, args=(seeded_db_url, n, stop, errors)) for n in range(3)
    ]
    for w in writers:
        w.start()
    rng = random.Random(7)  # noqa: S311 - a reproducible race, not a secret
    try:
        for _ in range(RACING_PAGES):  # a number of pages, not a duration: alike on every machine
            actor, replica = rng.choice(replicas)
            answer = page(
                seeded_db_url,
                actor,
                replica.table,
                replica.cursor,
                replica.filter,
                limit=rng.choice((3, 50, 1000)),
            )
            named[id(replica)].update(str(c["id"]) for c in answer["changes"])
            replica.apply(answer)
            time.sleep(rng.uniform(0, 0.02))  # a client paused, then resumed
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert not errors, errors
    for actor, replica in replicas:
        with as_actor(seeded_db_url, actor) as conn:
            catch_up(
                pages_of(conn, replica),
                replica,
                on_page=lambda p, r=replica: named[id(r)].update(  # type: ignore[misc]
                    str(c["id"]) for c in p["changes"]
                ),
            )
        assert replica.versions() == visible(seeded_db_url, actor, replica.table, replica.filter), (
            actor.key,
            replica.table,
            replica.filter,
        )
    owners = dict(
        query(
            seeded_db_url,
            "select distinct id::text, image ->> 'user_id' from "
            "private.changes where tbl in ('cart_items', 'notifications', 'orders')",
        )
    )
    for actor, replica in private:
        assert {owners.get(i) for i in named[id(replica)]} <= {str(actor.uid)}, replica.table


# ------------------------------------------------------------------ zora-db sync


def test_cli_sync_prints_the_pages_as_json(
    seeded_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("-d", seeded_db_url, "sync", "--as", str(ALICE.uid), "--table", "orders")
    result = run_cli(capsys, *args, "--filter", mine(ALICE), "--limit", "1", "--all")
    assert result.code == 0, result.err
    pages = [json.loads(line) for line in result.out.splitlines()]
    assert len(pages) > 1 and pages[-1]["more"] is False
    ids = {c["id"] for p in pages for c in p["changes"]}
    assert ids == set(visible(seeded_db_url, ALICE, "orders", mine(ALICE)))
    resumed = run_cli(capsys, *args, "--cursor", pages[-1]["cursor"])
    assert json.loads(resumed.out)["changes"] == []


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (("--table", "payments"), "payments is not a table of the supabase_realtime publication"),
        (("--table", "orders", "--filter", "user_id=like.x"), "cannot read the filter"),
        (("--table", "orders", "--cursor", "nope"), "nope is not a cursor sync_changes returned"),
        (("--table", "orders", "--as", "mallory"), "neither a user id nor anon"),
    ],
)
def test_cli_sync_refuses_with_exit_3(
    seeded_db_url: str, capsys: pytest.CaptureFixture[str], options: tuple[str, ...], says: str
) -> None:
    who = () if "--as" in options else ("--as", str(ALICE.uid))
    result = run_cli(capsys, "-d", seeded_db_url, "sync", *who, *options)
    assert result.code == 3, result.out + result.err
    assert says in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_filter_values_are_data_never_sql(seeded_db_url: str) -> None:
    title = "100% o'clock (really) %s"
    query(seeded_db_url, "insert into public.notifications (user_id, type, title) "
          "values (%s, 'system', %s)", [ALICE.uid, title])  # fmt: skip
    filter_text = f"user_id=eq.{ALICE.uid},title=eq.{title}"
    replica = synced(seeded_db_url, ALICE, "notifications", filter_text)
    assert [r["title"] for r in replica.rows.values()] == [title]
    query(seeded_db_url, "update public.notifications set title = 'plain' where title = %s",
          [title])  # fmt: skip
    converges(seeded_db_url, replica, ALICE)
    assert replica.rows == {}  # updated out of the filter: removed


def test_a_platform_hiding_the_system_identifier_still_serves(
    server: Throwaway, seeded_db_url: str
) -> None:
    before = synced(seeded_db_url, ALICE, "orders", mine(ALICE)).cursor
    query(as_superuser(server, seeded_db_url),
          "revoke execute on function pg_control_system() from public")  # fmt: skip
    assert page(seeded_db_url, ALICE, "orders", before, mine(ALICE))["reset"] is True
    replica = synced(seeded_db_url, ALICE, "orders", mine(ALICE))
    query(seeded_db_url, "update public.orders set notes = 'z' where user_id = %s", [ALICE.uid])
    converges(seeded_db_url, replica, ALICE)
