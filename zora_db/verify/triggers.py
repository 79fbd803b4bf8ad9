"""The triggers' promises, checked through the API roles on the demo data set."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from psycopg import sql

from zora_db.gotrue import sign_up
from zora_db.seed import seed_id
from zora_db.sqlstates import ZoraSqlState
from zora_db.verify.actors import ALICE, CAMDEN, SHOREDITCH
from zora_db.verify.probes import Conn, Probe, expect, refused, rows, value

SOURDOUGH = seed_id("product:camden-bakery:Sourdough loaf")  # 4.50
BUN = seed_id("product:camden-bakery:Cinnamon bun")  # 2.80


def _place_order(conn: Conn) -> Any:
    items = json.dumps([{"product_id": str(SOURDOUGH), "quantity": 2}])
    placed = rows(
        conn, ALICE, "select id from public.create_order(%s, %s::jsonb)", [CAMDEN.shop, items]
    )
    return placed[0][0]


def updated_at_is_maintained(conn: Conn, known: dict[str, Any]) -> None:
    tables = rows(
        conn,
        None,
        "select c.table_name from information_schema.columns c "
        "where c.table_schema = 'public' and c.column_name = 'updated_at' order by 1",
    )
    expect(len(tables) >= 12, f"only {len(tables)} tables have updated_at")
    for (table,) in tables:
        moved = value(
            conn,
            sql.SQL(
                "update {t} set updated_at = '2000-01-01' "
                "where ctid = (select ctid from {t} limit 1) returning updated_at = now()"
            ).format(t=sql.Identifier("public", table)),
        )
        expect(moved is True, f"{table}.updated_at was not set by its trigger")


def new_order_is_priced_and_announced(conn: Conn, known: dict[str, Any]) -> None:
    order = _place_order(conn)
    total = value(conn, "select total from public.orders where id = %s", [order])
    expect(total == Decimal("11.50"), f"2 x 4.50 + 2.50 delivery came to {total}")
    conn.execute("set constraints all immediate")  # what commit would fire
    notice = rows(
        conn,
        None,
        "select title, description from public.notifications "
        "where user_id = %s and data ->> 'order_id' = %s",
        [CAMDEN.uid, str(order)],
    )
    expect(
        notice == [("New Order Received!", "You have received a new order worth £11.50")],
        f"the vendor was told {notice}",
    )


def status_change_is_recorded_and_told(conn: Conn, known: dict[str, Any]) -> None:
    order = _place_order(conn)
    rows(conn, CAMDEN, "update public.orders set status = 'confirmed' where id = %s", [order])
    history = rows(
        conn,
        None,
        "select from_status::text, to_status::text, changed_by from public.order_status_history "
        "where order_id = %s",
        [order],
    )
    expect(history == [("pending", "confirmed", CAMDEN.uid)], f"history: {history}")
    told = rows(
        conn,
        None,
        "select title from public.notifications where user_id = %s and data ->> 'order_id' = %s",
        [ALICE.uid, str(order)],
    )
    expect(told == [("Order confirmed",)], f"the customer was told {told}")
    refused(
        conn,
        CAMDEN,
        "update public.orders set status = 'pending' where id = %s",
        [order],
        error=ZoraSqlState.BAD_STATUS_CHANGE,
    )


def subtotal_follows_items(conn: Conn, known: dict[str, Any]) -> None:
    order = _place_order(conn)
    rows(
        conn,
        ALICE,
        "insert into public.order_items (order_id, product_id, quantity) values (%s, %s, 3)",
        [order, BUN],
    )
    subtotal = value(conn, "select subtotal from public.orders where id = %s", [order])
    expect(subtotal == Decimal("17.40"), f"2 x 4.50 + 3 x 2.80 came to {subtotal}")
    rows(
        conn,
        ALICE,
        "delete from public.order_items where order_id = %s and product_id = %s",
        [order, SOURDOUGH],
    )
    subtotal = value(conn, "select subtotal from public.orders where id = %s", [order])
    expect(subtotal == Decimal("8.40"), f"after removing the loaves: {subtotal}")
    rows(conn, CAMDEN, "update public.orders set status = 'confirmed' where id = %s", [order])
    # Past pending, the customer can no longer cancel: the order is out of reach.
    cancelled = rows(
        conn,
        ALICE,
        "update public.orders set status = 'cancelled' where id = %s returning id",
        [order],
    )
    status = value(conn, "select status::text from public.orders where id = %s", [order])
    expect(not cancelled and status == "confirmed", "alice cancelled a confirmed order")


def reviews_keep_ratings(conn: Conn, known: dict[str, Any]) -> None:
    shop = "select review_count, rating_sum from public.vendors where id = %s"
    conn.execute("delete from public.reviews where order_id = %s", [known["alice_delivered"]])
    count, total = rows(conn, None, shop, [CAMDEN.shop])[0]
    rows(
        conn,
        ALICE,
        "insert into public.reviews (order_id, user_id, vendor_id, rating) values (%s, %s, %s, 3)",
        [known["alice_delivered"], ALICE.uid, SHOREDITCH.shop],  # the order decides the vendor
    )
    after = rows(conn, None, shop, [CAMDEN.shop])[0]
    expect(after == (count + 1, total + 3), f"camden's ratings went {count, total} -> {after}")


def messages_notify_the_other_side(conn: Conn, known: dict[str, Any]) -> None:
    rows(
        conn,
        CAMDEN,
        "insert into public.messages (conversation_id, sender_id, body) values (%s, %s, %s)",
        [known["conversation"], CAMDEN.uid, "Ready for pick-up!"],
    )
    told = rows(
        conn,
        None,
        "select title, description from public.notifications "
        "where user_id = %s and type = 'message' and description = 'Ready for pick-up!'",
        [ALICE.uid],
    )
    expect(told == [("New message from Camden Bakery", "Ready for pick-up!")], f"told: {told}")
    moved = value(
        conn,
        "select c.last_message_at = max(m.created_at) from public.conversations c "
        "join public.messages m on m.conversation_id = c.id where c.id = %s group by c.id",
        [known["conversation"]],
    )
    expect(moved is True, "the conversation's last_message_at did not move")


def new_users_get_a_customer_profile(conn: Conn, known: dict[str, Any]) -> None:
    # The role in user metadata is the signer-up's own word: it must not count.
    user = sign_up(
        conn, "mallory@zora.test", {"full_name": "Mallory", "role": "admin"}, user_id=None
    )
    profile = rows(
        conn, None, "select full_name, role::text from public.profiles where id = %s", [user]
    )
    expect(profile == [("Mallory", "customer")], f"the new user's profile: {profile}")


TRIGGER_CHECKS = (
    Probe("updated_at on every table", "set_updated_at", updated_at_is_maintained),
    Probe(
        "new order priced and announced",
        "prepare_new_order, price_order_item, announce_new_order",
        new_order_is_priced_and_announced,
    ),
    Probe(
        "status change recorded and told",
        "check_order_transition, record_order_status_change",
        status_change_is_recorded_and_told,
    ),
    Probe(
        "subtotal follows items", "order_items_* and recompute_subtotals", subtotal_follows_items
    ),
    Probe("reviews keep ratings", "check_review, apply_review_rating", reviews_keep_ratings),
    Probe("messages notify the other side", "deliver_message", messages_notify_the_other_side),
    Probe(
        "new users get a customer profile",
        "create_profile_for_user",
        new_users_get_a_customer_profile,
    ),
)
