"""Reviews and ratings, messages and their notifications, profiles for new users."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from uuid import UUID, uuid4

import psycopg
import pytest

from tests.conftest import become, query, scalar, wait_for_a_lock_wait
from zora_db.seed import seed_id
from zora_db.sqlstates import ZoraSqlState

ALICE, BOB, CHLOE = (seed_id(f"user:{k}") for k in ("alice", "bob", "chloe"))
CAMDEN = seed_id("vendor:camden-bakery")
CAMDEN_OWNER = seed_id("user:camden-bakery")
SOURDOUGH = seed_id("product:camden-bakery:Sourdough loaf")
BUN = seed_id("product:camden-bakery:Cinnamon bun")


def _orders(url: str, user: UUID, status: str, vendor: UUID = CAMDEN) -> list[UUID]:
    return [
        r[0]
        for r in query(
            url,
            "select id from public.orders where user_id = %s and "  # type: ignore[misc]
            "vendor_id = %s and status = %s order by created_at",
            [user, vendor, status],
        )
    ]


def _ratings(url: str) -> tuple[object, ...]:
    rows = query(
        url,
        "select v.review_count, v.rating_sum, v.rating, p.review_count, p.rating "
        "from public.vendors v, public.products p where v.id = %s and p.id = %s",
        [CAMDEN, SOURDOUGH],
    )
    return rows[0]


def _a_delivered_order(url: str, user: UUID = BOB) -> UUID:
    """A fresh delivered Camden order of ``user`` containing sourdough (no review yet)."""
    with psycopg.connect(url) as conn:
        become(conn, user, role=None)
        row = conn.execute(
            "select id from public.create_order(%s, %s::jsonb)",
            [CAMDEN, json.dumps([{"product_id": str(SOURDOUGH), "quantity": 1}])],
        ).fetchone()
        assert row is not None
        for status in ("confirmed", "preparing", "ready", "delivered"):
            conn.execute("update public.orders set status = %s where id = %s", [status, row[0]])
    return UUID(str(row[0]))


# --------------------------------------------------------------------------- reviews


def test_review_lifecycle_keeps_ratings_right(seeded_db_url: str) -> None:
    # The seed: Alice gave Camden (and its sourdough) 5 stars.
    assert _ratings(seeded_db_url) == (1, 5, Decimal("5.00"), 1, Decimal("5.00"))
    order = _a_delivered_order(seeded_db_url)
    query(
        seeded_db_url,
        "insert into public.reviews (order_id, user_id, vendor_id, product_id,"
        " rating) values (%s, %s, %s, %s, 2)",
        [order, BOB, CAMDEN, SOURDOUGH],
    )
    assert _ratings(seeded_db_url) == (2, 7, Decimal("3.50"), 2, Decimal("3.50"))
    query(seeded_db_url, "update public.reviews set rating = 3 where order_id = %s", [order])
    assert _ratings(seeded_db_url) == (2, 8, Decimal("4.00"), 2, Decimal("4.00"))
    query(seeded_db_url, "update public.reviews set product_id = null where order_id = %s", [order])
    assert _ratings(seeded_db_url) == (2, 8, Decimal("4.00"), 1, Decimal("5.00"))
    query(seeded_db_url, "delete from public.reviews where order_id = %s", [order])
    assert _ratings(seeded_db_url) == (1, 5, Decimal("5.00"), 1, Decimal("5.00"))


def test_ratings_match_a_full_recount_after_many_writes(seeded_db_url: str) -> None:
    orders = [_a_delivered_order(seeded_db_url) for _ in range(5)]
    for i, order in enumerate(orders):
        query(
            seeded_db_url,
            "insert into public.reviews (order_id, user_id, vendor_id, rating)"
            " values (%s, %s, %s, %s)",
            [order, BOB, CAMDEN, 1 + i % 5],
        )
    query(
        seeded_db_url,
        "update public.reviews set rating = 6 - rating where order_id = any(%s)",
        [orders[:3]],
    )
    query(seeded_db_url, "delete from public.reviews where order_id = %s", [orders[4]])
    assert (
        query(
            seeded_db_url,
            """
        select v.review_count = (select count(*) from public.reviews r where r.vendor_id = v.id),
               v.rating_sum = (select coalesce(sum(rating), 0) from public.reviews r
                               where r.vendor_id = v.id)
        from public.vendors v
    """,
        )
        == [(True, True)] * 4
    )


def test_review_vendor_comes_from_the_order(seeded_db_url: str) -> None:
    order = _a_delivered_order(seeded_db_url)
    other_vendor = seed_id("vendor:brixton-spice")
    query(
        seeded_db_url,
        "insert into public.reviews (order_id, user_id, vendor_id, rating) values (%s, %s, %s, 1)",
        [order, BOB, other_vendor],
    )
    assert (
        scalar(seeded_db_url, "select vendor_id from public.reviews where order_id = %s", [order])
        == CAMDEN
    )
    assert (
        scalar(
            seeded_db_url, "select review_count from public.vendors where id = %s", [other_vendor]
        )
        == 1
    )  # only the seed's


@pytest.mark.parametrize("case", ["pending order", "someone else's order", "product not ordered"])
def test_reviews_need_a_delivered_order_of_the_author(seeded_db_url: str, case: str) -> None:
    if case == "pending order":
        order, author, product = _orders(seeded_db_url, CHLOE, "pending")[0], CHLOE, None
    elif case == "someone else's order":
        order, author, product = _a_delivered_order(seeded_db_url, BOB), CHLOE, None
    else:
        order, author, product = _a_delivered_order(seeded_db_url, BOB), BOB, BUN
    before = _ratings(seeded_db_url)
    with pytest.raises(psycopg.Error) as info:
        query(
            seeded_db_url,
            "insert into public.reviews (order_id, user_id, vendor_id, "
            "product_id, rating) values (%s, %s, %s, %s, 4)",
            [order, author, CAMDEN, product],
        )
    assert info.value.sqlstate == ZoraSqlState.REVIEW_WITHOUT_DELIVERY
    assert _ratings(seeded_db_url) == before


def test_one_review_per_order_and_ratings_between_1_and_5(seeded_db_url: str) -> None:
    order = _a_delivered_order(seeded_db_url)
    insert = (
        "insert into public.reviews (order_id, user_id, vendor_id, rating) values (%s, %s, %s, %s)"
    )
    for bad in (0, 6):
        with pytest.raises(psycopg.errors.CheckViolation):
            query(seeded_db_url, insert, [order, BOB, CAMDEN, bad])
    query(seeded_db_url, insert, [order, BOB, CAMDEN, 4])
    with pytest.raises(psycopg.errors.UniqueViolation):
        query(seeded_db_url, insert, [order, BOB, CAMDEN, 5])
    assert (
        scalar(seeded_db_url, "select review_count from public.vendors where id = %s", [CAMDEN])
        == 2
    )


# --------------------------------------------------------------------------- messages


CONVERSATION = seed_id("conversation:alice:camden-bakery")


def _notifications(url: str, user: UUID) -> list[tuple[object, ...]]:
    return query(
        url,
        "select title, description, action_url from public.notifications "
        "where user_id = %s and type = 'message' order by created_at, title",
        [user],
    )


def test_a_customer_message_notifies_the_vendor_and_moves_the_conversation(
    seeded_db_url: str,
) -> None:
    before = len(_notifications(seeded_db_url, CAMDEN_OWNER))
    query(
        seeded_db_url,
        "insert into public.messages (conversation_id, sender_id, body, "
        "created_at) values (%s, %s, 'Are you open on Sunday?', '2030-01-01T10:00Z')",
        [CONVERSATION, ALICE],
    )
    told = _notifications(seeded_db_url, CAMDEN_OWNER)
    assert len(told) == before + 1
    assert (
        "New message from Alice Adeyemi",
        "Are you open on Sunday?",
        f"/messages/{CONVERSATION}",
    ) in told
    assert str(
        scalar(
            seeded_db_url,
            "select last_message_at from public.conversations where id = %s",
            [CONVERSATION],
        )
    ).startswith("2030-01-01")


def test_a_vendor_reply_notifies_the_customer(seeded_db_url: str) -> None:
    query(
        seeded_db_url,
        "insert into public.messages (conversation_id, sender_id, body) values (%s, %s, %s)",
        [CONVERSATION, CAMDEN_OWNER, "x" * 300],
    )
    told = _notifications(seeded_db_url, ALICE)
    assert ("New message from Camden Bakery", "x" * 140, f"/messages/{CONVERSATION}") in told


def test_an_outsider_cannot_write_in_a_conversation(seeded_db_url: str) -> None:
    count = scalar(seeded_db_url, "select count(*) from public.messages")
    told = [_notifications(seeded_db_url, u) for u in (ALICE, CAMDEN_OWNER)]
    with pytest.raises(psycopg.Error) as info:
        query(
            seeded_db_url,
            "insert into public.messages (conversation_id, sender_id, body) "
            "values (%s, %s, 'hello')",
            [CONVERSATION, BOB],
        )
    assert info.value.sqlstate == ZoraSqlState.NOT_IN_CONVERSATION
    assert scalar(seeded_db_url, "select count(*) from public.messages") == count
    assert [_notifications(seeded_db_url, u) for u in (ALICE, CAMDEN_OWNER)] == told


# --------------------------------------------------------------------------- profiles


def test_a_new_auth_user_gets_a_customer_profile_whatever_it_asks(db_url: str) -> None:
    uid = uuid4()
    query(
        db_url,
        "insert into auth.users (id, email, phone, raw_user_meta_data) values "
        "(%s, 'new@zora.test', '+447700900123', %s)",
        [
            uid,
            json.dumps(
                {
                    "full_name": " New Person ",
                    "role": "admin",
                    "avatar_url": "https://img.test/a.png",
                }
            ),
        ],
    )
    assert query(
        db_url,
        "select email, full_name, avatar_url, phone, role::text from public.profiles where id = %s",
        [uid],
    ) == [("new@zora.test", "New Person", "https://img.test/a.png", "+447700900123", "customer")]


def test_a_user_without_metadata_still_gets_a_profile(db_url: str) -> None:
    uid = uuid4()
    query(db_url, "insert into auth.users (id, email) values (%s, 'bare@zora.test')", [uid])
    assert query(
        db_url, "select full_name, role::text from public.profiles where id = %s", [uid]
    ) == [(None, "customer")]


def test_deleting_an_auth_user_removes_their_profile(db_url: str) -> None:
    uid = uuid4()
    query(db_url, "insert into auth.users (id, email) values (%s, 'gone@zora.test')", [uid])
    query(db_url, "delete from auth.users where id = %s", [uid])
    assert scalar(db_url, "select count(*) from public.profiles where id = %s", [uid]) == 0


def test_a_customer_with_orders_cannot_be_deleted(seeded_db_url: str) -> None:
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        query(seeded_db_url, "delete from auth.users where id = %s", [ALICE])
    assert (
        scalar(seeded_db_url, "select count(*) from public.orders where user_id = %s", [ALICE]) == 2
    )


def test_concurrent_reviews_of_one_vendor_lose_no_count(seeded_db_url: str) -> None:
    orders = [_a_delivered_order(seeded_db_url, user) for user in (BOB, CHLOE)]
    insert = (
        "insert into public.reviews (order_id, user_id, vendor_id, rating) values (%s, %s, %s, %s)"
    )
    first, second = psycopg.connect(seeded_db_url), psycopg.connect(seeded_db_url)
    try:
        first.execute(insert, [orders[0], BOB, CAMDEN, 1])  # holds the vendor row
        waiting = threading.Thread(
            target=lambda: second.execute(insert, [orders[1], CHLOE, CAMDEN, 3])
        )
        waiting.start()
        wait_for_a_lock_wait(seeded_db_url)
        first.commit()
        waiting.join(timeout=10)
        second.commit()
    finally:
        first.close()
        second.close()
    assert query(
        seeded_db_url, "select review_count, rating_sum from public.vendors where id = %s", [CAMDEN]
    ) == [(3, 9)]  # the seed's 5, then 1 and 3
