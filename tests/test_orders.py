"""Orders: money from the database, the status life cycle, history and notifications."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from uuid import UUID

import psycopg
import pytest

from tests.conftest import (
    acting_as,
    become,
    one_waits_for_the_other,
    query,
    scalar,
    wait_for_a_lock_wait,
)
from zora_db.seed import seed_id
from zora_db.sqlstates import ZoraSqlState

ALICE = seed_id("user:alice")
BOB = seed_id("user:bob")
CAMDEN = seed_id("vendor:camden-bakery")
CAMDEN_OWNER = seed_id("user:camden-bakery")
SHOREDITCH = seed_id("vendor:shoreditch-grocer")
PENDING_PANTRY = seed_id("vendor:pending-pantry")
SOURDOUGH = seed_id("product:camden-bakery:Sourdough loaf")  # 4.50
BUN = seed_id("product:camden-bakery:Cinnamon bun")  # 2.80
EGGS = seed_id("product:shoreditch-grocer:Free-range eggs x6")


def _place(url: str, vendor: UUID, items: list[tuple[UUID, int]], user: UUID = ALICE) -> UUID:
    payload = json.dumps([{"product_id": str(p), "quantity": q} for p, q in items])
    with acting_as(url, user) as conn:
        row = conn.execute(
            "select id from public.create_order(%s, %s::jsonb)", [vendor, payload]
        ).fetchone()
    assert row is not None
    return UUID(str(row[0]))


def _order(url: str, order_id: UUID) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        cur = conn.execute("select * from public.orders where id = %s", [order_id])
        row = cur.fetchone()
        assert row is not None and cur.description is not None
        return {col.name: value for col, value in zip(cur.description, row, strict=True)}


def _set_status(url: str, order_id: UUID, status: str, actor: UUID = CAMDEN_OWNER) -> None:
    with acting_as(url, actor, role=None) as conn:
        conn.execute("update public.orders set status = %s where id = %s", [status, order_id])


# --------------------------------------------------------------------------- money


def test_create_order_prices_everything_from_the_database(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 2), (BUN, 3)])
    order = _order(seeded_db_url, order_id)
    assert order["user_id"] == ALICE and order["status"] == "pending"
    assert order["subtotal"] == Decimal("17.40")  # 2 x 4.50 + 3 x 2.80
    assert order["delivery_fee"] == Decimal("2.50")  # the vendor's
    assert order["total"] == Decimal("19.90")
    items = query(
        seeded_db_url,
        "select product_name, unit_price, line_total from "
        "public.order_items where order_id = %s order by product_name",
        [order_id],
    )
    assert items == [
        ("Cinnamon bun", Decimal("2.80"), Decimal("8.40")),
        ("Sourdough loaf", Decimal("4.50"), Decimal("9.00")),
    ]


def test_a_client_supplied_total_is_rejected(seeded_db_url: str) -> None:
    with pytest.raises(psycopg.errors.GeneratedAlways), acting_as(seeded_db_url, ALICE) as conn:
        conn.execute(
            "insert into public.orders (user_id, vendor_id, total) values (%s, %s, 0.01)",
            [ALICE, CAMDEN],
        )
    assert scalar(seeded_db_url, "select count(*) from public.orders where total = 0.01") == 0


def test_client_supplied_prices_and_fees_are_overwritten(seeded_db_url: str) -> None:
    with acting_as(seeded_db_url, ALICE) as conn:
        row = conn.execute(
            "insert into public.orders (user_id, vendor_id, subtotal, delivery_fee, currency) "
            "values (%s, %s, 0, 0, 'USD') returning id",
            [ALICE, CAMDEN],
        ).fetchone()
        assert row is not None
        conn.execute(
            "insert into public.order_items (order_id, product_id, quantity, "
            "unit_price, product_name) values (%s, %s, 10, 0.01, 'free bread')",
            [row[0], SOURDOUGH],
        )
    order = _order(seeded_db_url, row[0])
    assert (order["subtotal"], order["delivery_fee"], order["currency"]) == (
        Decimal("45.00"),
        Decimal("2.50"),
        "GBP",
    )
    assert query(
        seeded_db_url,
        "select unit_price, product_name from public.order_items where order_id = %s",
        [row[0]],
    ) == [(Decimal("4.50"), "Sourdough loaf")]


def test_subtotal_follows_item_updates_and_deletes(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 1), (BUN, 1)])
    query(
        seeded_db_url,
        "update public.order_items set quantity = 4 where order_id = %s and product_id = %s",
        [order_id, BUN],
    )
    assert _order(seeded_db_url, order_id)["subtotal"] == Decimal("15.70")
    query(
        seeded_db_url,
        "delete from public.order_items where order_id = %s and product_id = %s",
        [order_id, SOURDOUGH],
    )
    assert _order(seeded_db_url, order_id)["subtotal"] == Decimal("11.20")


def test_price_changes_do_not_touch_placed_orders(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 1)])
    query(seeded_db_url, "update public.products set price = 99 where id = %s", [SOURDOUGH])
    query(
        seeded_db_url, "update public.orders set notes = 'ring the bell' where id = %s", [order_id]
    )
    assert _order(seeded_db_url, order_id)["subtotal"] == Decimal("4.50")


def test_a_product_of_another_vendor_is_refused(seeded_db_url: str) -> None:
    with pytest.raises(psycopg.Error) as info:
        _place(seeded_db_url, CAMDEN, [(EGGS, 1)])
    assert info.value.sqlstate == ZoraSqlState.PRODUCT_OF_ANOTHER_ORDER


def test_an_inactive_product_is_refused(seeded_db_url: str) -> None:
    query(seeded_db_url, "update public.products set is_active = false where id = %s", [BUN])
    with pytest.raises(psycopg.Error) as info:
        _place(seeded_db_url, CAMDEN, [(BUN, 1)])
    assert info.value.sqlstate == ZoraSqlState.PRODUCT_UNAVAILABLE


def test_an_unverified_vendor_takes_no_orders(seeded_db_url: str) -> None:
    jam = seed_id("product:pending-pantry:Mystery jam")
    before = scalar(seeded_db_url, "select count(*) from public.orders")
    with pytest.raises(psycopg.Error) as info:
        _place(seeded_db_url, PENDING_PANTRY, [(jam, 1)])
    assert info.value.sqlstate == ZoraSqlState.VENDOR_CLOSED
    assert scalar(seeded_db_url, "select count(*) from public.orders") == before


def test_an_empty_order_is_refused(seeded_db_url: str) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        _place(seeded_db_url, CAMDEN, [])


def test_items_are_frozen_once_the_order_is_confirmed(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 1)])
    _set_status(seeded_db_url, order_id, "confirmed")
    for statement in (
        "insert into public.order_items (order_id, product_id, quantity) values (%s, %s, 1)",
        "update public.order_items set quantity = 9 where order_id = %s and product_id = %s",
    ):
        with pytest.raises(psycopg.Error) as info:
            query(seeded_db_url, statement, [order_id, SOURDOUGH])
        assert info.value.sqlstate == ZoraSqlState.ITEMS_FROZEN
    assert _order(seeded_db_url, order_id)["subtotal"] == Decimal("4.50")


# --------------------------------------------------------------------------- the vendor is told


def test_new_order_notifies_the_vendor_with_the_real_total(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 2)])
    rows = query(
        seeded_db_url,
        "select user_id, type::text, title, description, action_url "
        "from public.notifications where data ->> 'order_id' = %s and type = 'order'",
        [str(order_id)],
    )
    assert rows == [
        (
            CAMDEN_OWNER,
            "order",
            "New Order Received!",
            "You have received a new order worth £11.50",
            f"/orders/{order_id}",
        )
    ]
    # History records changes; the order's own created_at and user_id say who placed it when.
    history = "select count(*) from public.order_status_history where order_id = %s"
    assert scalar(seeded_db_url, history, [order_id]) == 0


def test_a_rolled_back_order_notifies_nobody(seeded_db_url: str) -> None:
    before = scalar(seeded_db_url, "select count(*) from public.notifications")
    with psycopg.connect(seeded_db_url) as conn:
        become(conn, ALICE, role=None)
        conn.execute(
            "select public.create_order(%s, %s::jsonb)",
            [CAMDEN, json.dumps([{"product_id": str(BUN), "quantity": 1}])],
        )
        conn.rollback()
    assert scalar(seeded_db_url, "select count(*) from public.notifications") == before


# --------------------------------------------------------------------------- status life cycle


def test_the_full_life_cycle_records_history_and_tells_the_customer(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(BUN, 1)])
    path = ["confirmed", "preparing", "ready", "out_for_delivery", "delivered", "refunded"]
    for status in path:
        _set_status(seeded_db_url, order_id, status)
    history = query(
        seeded_db_url,
        "select from_status::text, to_status::text, changed_by "
        "from public.order_status_history where order_id = %s order by id",
        [order_id],
    )
    assert history == [(a, b, CAMDEN_OWNER) for a, b in zip(["pending", *path], path, strict=False)]
    told = query(
        seeded_db_url,
        "select title from public.notifications where user_id = %s "
        "and type = 'order_status' and data ->> 'order_id' = %s order by "
        "array_position(%s::text[], data ->> 'to')",
        [ALICE, str(order_id), path],
    )
    assert [t for (t,) in told] == [
        "Order confirmed",
        "Your order is being prepared",
        "Your order is ready",
        "Your order is on its way",
        "Order delivered",
        "Order refunded",
    ]


@pytest.mark.parametrize(
    ("walk", "forbidden"),
    [
        (["confirmed", "preparing", "ready", "delivered"], "pending"),
        (["cancelled"], "confirmed"),
        (["cancelled"], "pending"),
        ([], "delivered"),
        (["confirmed", "preparing", "ready", "out_for_delivery"], "cancelled"),
        (["confirmed", "preparing", "ready", "delivered", "refunded"], "delivered"),
    ],
)
def test_invalid_transitions_are_rejected(
    seeded_db_url: str, walk: list[str], forbidden: str
) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(BUN, 1)])
    for status in walk:
        _set_status(seeded_db_url, order_id, status)
    current = walk[-1] if walk else "pending"
    history_before = scalar(seeded_db_url, "select count(*) from public.order_status_history")
    with pytest.raises(psycopg.Error) as info:
        _set_status(seeded_db_url, order_id, forbidden)
    assert info.value.sqlstate == ZoraSqlState.BAD_STATUS_CHANGE
    assert f"from {current} to {forbidden}" in str(info.value)
    assert _order(seeded_db_url, order_id)["status"] == current
    assert scalar(seeded_db_url, "select count(*) from public.order_status_history") == (
        history_before
    )


def test_a_new_order_cannot_start_past_pending(seeded_db_url: str) -> None:
    with pytest.raises(psycopg.Error) as info, acting_as(seeded_db_url, ALICE, None) as conn:
        conn.execute(
            "insert into public.orders (user_id, vendor_id, status) values (%s, %s, 'delivered')",
            [ALICE, CAMDEN],
        )
    assert info.value.sqlstate == ZoraSqlState.BAD_STATUS_CHANGE


def test_an_update_that_keeps_the_status_records_nothing(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(BUN, 1)])
    before = scalar(seeded_db_url, "select count(*) from public.notifications")
    query(
        seeded_db_url,
        "update public.orders set status = 'pending', notes = 'x' where id = %s",
        [order_id],
    )
    assert scalar(seeded_db_url, "select count(*) from public.notifications") == before


def test_updated_at_moves_on_update(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(BUN, 1)])
    query(
        seeded_db_url,
        "update public.orders set created_at = created_at - interval '1 day',"
        " updated_at = updated_at - interval '1 day' where id = %s",
        [order_id],
    )
    stale = _order(seeded_db_url, order_id)["updated_at"]
    query(
        seeded_db_url, "update public.orders set notes = 'leave at door' where id = %s", [order_id]
    )
    fresh = _order(seeded_db_url, order_id)["updated_at"]
    assert isinstance(stale, type(fresh)) and fresh > stale  # type: ignore[operator]


@pytest.mark.parametrize(
    "table",
    [
        "profiles",
        "vendors",
        "categories",
        "products",
        "addresses",
        "cart_items",
        "payments",
        "reviews",
        "conversations",
        "device_tokens",
        "system_config",
    ],
)
def test_updated_at_is_maintained_on_every_table(seeded_db_url: str, table: str) -> None:
    key = "key" if table == "system_config" else "id"
    target = scalar(seeded_db_url, f"select {key}::text from public.{table} limit 1")
    assert target is not None, f"the seed has no {table}"
    query(
        seeded_db_url,
        f"update public.{table} set updated_at = '2000-01-01' where {key}::text = %s",
        [target],
    )
    # The trigger overrides even an explicit value: the column cannot lie.
    assert (
        scalar(
            seeded_db_url,
            f"select updated_at > '2001-01-01' from public.{table} where {key}::text = %s",
            [target],
        )
        is True
    )


def test_cart_vendor_comes_from_the_product(seeded_db_url: str) -> None:
    query(
        seeded_db_url,
        "insert into public.cart_items (user_id, product_id, vendor_id) values (%s, %s, %s)",
        [BOB, EGGS, CAMDEN],
    )
    assert (
        scalar(
            seeded_db_url,
            "select vendor_id from public.cart_items where user_id = %s and product_id = %s",
            [BOB, EGGS],
        )
        == SHOREDITCH
    )


def test_items_cannot_be_removed_once_confirmed(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 1)])
    _set_status(seeded_db_url, order_id, "confirmed")
    with pytest.raises(psycopg.Error) as info:
        query(seeded_db_url, "delete from public.order_items where order_id = %s", [order_id])
    assert info.value.sqlstate == ZoraSqlState.ITEMS_FROZEN
    assert (
        scalar(
            seeded_db_url, "select count(*) from public.order_items where order_id = %s", [order_id]
        )
        == 1
    )


def test_a_sold_product_can_be_deleted_and_its_items_keep_name_and_price(
    seeded_db_url: str,
) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 2), (BUN, 1)])
    _set_status(seeded_db_url, order_id, "confirmed")
    before = _order(seeded_db_url, order_id)
    query(seeded_db_url, "delete from public.products where id = %s", [SOURDOUGH])
    items = query(
        seeded_db_url,
        "select product_id, product_name, unit_price, quantity from public.order_items "
        "where order_id = %s order by product_name",
        [order_id],
    )
    assert items == [
        (BUN, "Cinnamon bun", Decimal("2.80"), 1),
        (None, "Sourdough loaf", Decimal("4.50"), 2),
    ]
    after = _order(seeded_db_url, order_id)
    assert (after["total"], after["updated_at"]) == (before["total"], before["updated_at"])


def test_a_confirmed_item_cannot_be_repointed_to_another_product(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 1)])
    _set_status(seeded_db_url, order_id, "confirmed")
    with pytest.raises(psycopg.Error) as info:
        query(
            seeded_db_url,
            "update public.order_items set product_id = %s where order_id = %s",
            [BUN, order_id],
        )
    assert info.value.sqlstate == ZoraSqlState.ITEMS_FROZEN


def test_deleting_an_order_takes_its_items(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 1), (BUN, 2)])
    query(seeded_db_url, "delete from public.orders where id = %s", [order_id])
    assert (
        scalar(
            seeded_db_url, "select count(*) from public.order_items where order_id = %s", [order_id]
        )
        == 0
    )


def test_concurrent_item_inserts_lose_no_money(seeded_db_url: str) -> None:
    order_id = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 1)])
    insert = "insert into public.order_items (order_id, product_id, quantity) values (%s, %s, %s)"
    one_waits_for_the_other(
        seeded_db_url,
        insert,
        insert,  # the second waits on the order
        [[order_id, BUN, 1], [order_id, BUN, 2]],
    )
    # 4.50 + 2.80 + 2 x 2.80: neither statement's recount missed the other's item.
    assert _order(seeded_db_url, order_id)["subtotal"] == Decimal("12.90")


def test_two_devices_editing_one_order_queue_instead_of_deadlocking(seeded_db_url: str) -> None:
    """Device A changes one line, then another; device B updates every line in between."""
    alice = seed_id("user:alice")
    order = scalar(
        seeded_db_url,
        "select id from public.orders where user_id = %s and status = 'pending' limit 1",
        [alice],
    )
    query(
        seeded_db_url,
        "insert into public.order_items (order_id, product_id, quantity) "
        "select %s, id, 1 from public.products where vendor_id = "
        "(select vendor_id from public.orders where id = %s) and is_active "
        "and id not in (select product_id from public.order_items where order_id = %s)",
        [order, order, order],
    )
    # Device B's statement meets the lines in this order; A takes the last one first.
    lines = [r[0] for r in query(
        seeded_db_url, "select id from public.order_items where order_id = %s order by ctid",
        [order],
    )]  # fmt: skip
    assert len(lines) >= 2
    device_a, device_b = psycopg.connect(seeded_db_url), psycopg.connect(seeded_db_url)
    outcome: list[object] = []

    def update_every_line() -> None:
        try:
            device_b.execute(
                "update public.order_items set quantity = quantity + 1 where order_id = %s",
                [order],
            )
            device_b.commit()
            outcome.append("done")
        except psycopg.Error as exc:
            outcome.append(exc.sqlstate)

    try:
        become(device_a, alice)
        become(device_b, alice)
        device_a.execute("update public.order_items set quantity = 5 where id = %s", [lines[-1]])
        racer = threading.Thread(target=update_every_line)
        racer.start()
        wait_for_a_lock_wait(seeded_db_url)
        # Before 0021, B held the first line and waited for the order: this deadlocked.
        device_a.execute("update public.order_items set quantity = 7 where id = %s", [lines[0]])
        device_a.commit()
        racer.join(timeout=10)
    finally:
        device_a.close()
        device_b.close()
    assert outcome == ["done"]
    quantities = dict(query(
        seeded_db_url, "select id, quantity from public.order_items where order_id = %s", [order]
    ))  # fmt: skip
    assert quantities[lines[0]] == 8 and quantities[lines[-1]] == 6
    assert scalar(
        seeded_db_url,
        "select subtotal = (select sum(line_total) from public.order_items where order_id = o.id) "
        "from public.orders o where id = %s",
        [order],
    )


def test_history_is_in_the_order_the_changes_were_made(seeded_db_url: str) -> None:
    """A vendor session that began first but waited for the lock is stamped after."""
    camden_owner = seed_id("user:camden-bakery")
    order = scalar(
        seeded_db_url,
        "select id from public.orders where vendor_id = %s and status = 'pending' limit 1",
        [seed_id("vendor:camden-bakery")],
    )
    early, late = psycopg.connect(seeded_db_url), psycopg.connect(seeded_db_url)
    try:
        become(early, camden_owner)  # this transaction starts first
        time.sleep(0.05)
        become(late, camden_owner)
        late.execute("update public.orders set status = 'confirmed' where id = %s", [order])
        racer = threading.Thread(
            target=lambda: early.execute(
                "update public.orders set status = 'preparing' where id = %s", [order]
            )
        )
        racer.start()
        wait_for_a_lock_wait(seeded_db_url)
        time.sleep(0.05)
        late.commit()
        racer.join(timeout=10)
        early.commit()
    finally:
        early.close()
        late.close()
    timeline = query(
        seeded_db_url,
        "select to_status::text from public.order_status_history where order_id = %s "
        "order by changed_at",
        [order],
    )
    assert timeline == [("confirmed",), ("preparing",)]


def test_setting_the_status_an_order_already_has_records_nothing(seeded_db_url: str) -> None:
    order = _place(seeded_db_url, CAMDEN, [(SOURDOUGH, 1)])
    camden_owner = seed_id("user:camden-bakery")
    with acting_as(seeded_db_url, camden_owner) as conn:
        conn.execute("update public.orders set status = 'confirmed' where id = %s", [order])
    with acting_as(seeded_db_url, camden_owner) as conn:
        # The other portal session saw `pending`: it changes nothing and can tell.
        lost = conn.execute(
            "update public.orders set status = 'confirmed' where id = %s and status = 'pending' "
            "returning id",
            [order],
        ).fetchall()
        same = conn.execute(
            "update public.orders set status = 'confirmed' where id = %s returning id", [order]
        ).fetchall()
    assert lost == [] and len(same) == 1
    assert (
        scalar(
            seeded_db_url,
            "select count(*) from public.order_status_history where order_id = %s",
            [order],
        )
        == 1
    )


def test_a_quantity_change_on_a_line_gone_off_sale_is_refused(seeded_db_url: str) -> None:
    order = _place(seeded_db_url, CAMDEN, [(BUN, 1)])
    query(seeded_db_url, "update public.products set is_active = false where id = %s", [BUN])
    with pytest.raises(psycopg.Error) as info, acting_as(seeded_db_url, ALICE) as conn:
        conn.execute("update public.order_items set quantity = 2 where order_id = %s", [order])
    assert info.value.sqlstate == ZoraSqlState.PRODUCT_UNAVAILABLE
    with acting_as(seeded_db_url, ALICE) as conn:  # removing the line is how the app resolves it
        conn.execute("delete from public.order_items where order_id = %s", [order])
