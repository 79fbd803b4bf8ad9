"""What an attacker with a Zora account would try, each a check that must come to nothing.

Every attack is followed by a look, as the owner, at what the database holds:
a refusal is not enough if something changed anyway.
"""

from __future__ import annotations

from typing import Any

from psycopg import errors

from zora_db.seed import seed_id
from zora_db.sqlstates import ZoraSqlState
from zora_db.verify.actors import ADMIN, ALICE, ANON, BOB, CAMDEN, SHOREDITCH, Actor
from zora_db.verify.probes import Conn, Probe, expect, refused, rows, value

DENIED = errors.InsufficientPrivilege
PANTRY = Actor("pantry", "vendor", seed_id("user:pending-pantry"), seed_id("vendor:pending-pantry"))


def _ids(result: list[Any]) -> set[Any]:
    return {r[0] for r in result}


def _orders_of(conn: Conn, user: Actor) -> set[Any]:
    return _ids(rows(conn, None, "select id from public.orders where user_id = %s", [user.uid]))


def read_orders_through_items(conn: Conn, known: dict[str, Any]) -> None:
    seen = _ids(rows(conn, BOB, "select distinct order_id from public.order_items"))
    expect(
        seen == _orders_of(conn, BOB), f"bob sees items of orders {seen - _orders_of(conn, BOB)}"
    )
    leaked = rows(
        conn,
        BOB,
        "select i.product_name, i.unit_price from public.order_items i where i.order_id = %s",
        [known["alice_delivered"]],
    )
    expect(not leaked, f"bob reads alice's order items: {leaked}")


def read_orders_through_a_join(conn: Conn, known: dict[str, Any]) -> None:
    # Reviews are public and name their order: the join must stop at orders.
    joined = _ids(
        rows(
            conn,
            BOB,
            "select o.id from public.reviews r join public.orders o on o.id = r.order_id",
        )
    )
    expect(
        joined <= _orders_of(conn, BOB), f"bob joins his way to {joined - _orders_of(conn, BOB)}"
    )
    totals = rows(
        conn,
        BOB,
        "select (select o.total from public.orders o where o.id = r.order_id) "
        "from public.reviews r where r.order_id = %s",
        [known["alice_delivered"]],
    )
    expect(totals == [(None,)], f"bob reads alice's total through a sub-select: {totals}")


def update_someone_elses_row_with_returning(conn: Conn, known: dict[str, Any]) -> None:
    returned = rows(
        conn,
        BOB,
        "update public.profiles set full_name = 'Mallory' where id = %s returning *",
        [ALICE.uid],
    )
    returned += rows(
        conn,
        BOB,
        "update public.orders set notes = 'mine now' where user_id = %s returning *",
        [ALICE.uid],
    )
    returned += rows(
        conn,
        BOB,
        "delete from public.cart_items where user_id = %s returning *",
        [ALICE.uid],
    )
    expect(not returned, f"bob's writes to alice's rows returned {len(returned)} rows")
    name = value(conn, "select full_name from public.profiles where id = %s", [ALICE.uid])
    expect(name == "Alice Adeyemi", f"alice's name is now {name!r}")
    # Moving one's own row to someone else is refused by the policy's check.
    refused(
        conn,
        ALICE,
        "update public.cart_items set user_id = %s where user_id = %s",
        [BOB.uid, ALICE.uid],
        error=DENIED,
    )


def forge_an_order_total(conn: Conn, known: dict[str, Any]) -> None:
    refused(
        conn,
        ALICE,
        "insert into public.orders (user_id, vendor_id, total) values (%s, %s, 0.01)",
        [ALICE.uid, known["camden"]],
        error=errors.GeneratedAlways,
    )
    refused(
        conn,
        ALICE,
        "update public.orders set subtotal = 0 where id = %s",
        [known["alice_pending"]],
        error=DENIED,
    )
    placed = rows(
        conn,
        ALICE,
        "insert into public.orders (user_id, vendor_id, subtotal, delivery_fee, currency) "
        "values (%s, %s, 1000, 0, 'USD') returning id",
        [ALICE.uid, known["camden"]],
    )[0][0]
    rows(
        conn,
        ALICE,
        "insert into public.order_items (order_id, product_id, quantity, unit_price) "
        "values (%s, %s, 2, 0.01)",
        [placed, seed_id("product:camden-bakery:Sourdough loaf")],
    )
    stored = rows(
        conn,
        None,
        "select subtotal, delivery_fee, currency, total from public.orders where id = %s",
        [placed],
    )[0]
    expect(
        tuple(str(v) for v in stored) == ("9.00", "2.50", "GBP", "11.50"),
        f"a forged order was stored as {stored}",
    )


def raise_ones_own_role(conn: Conn, known: dict[str, Any]) -> None:
    for actor in (ALICE, CAMDEN):
        refused(
            conn,
            actor,
            "update public.profiles set role = 'admin' where id = %s",
            [actor.uid],
            error=DENIED,
        )
        role = value(conn, "select role from public.profiles where id = %s", [actor.uid])
        expect(role != "admin", f"{actor.key} made themselves admin")
    # ...while an admin may
    rows(conn, ADMIN, "update public.profiles set role = 'vendor' where id = %s", [BOB.uid])
    expect(
        value(conn, "select role from public.profiles where id = %s", [BOB.uid]) == "vendor",
        "an admin could not change a role",
    )


def edit_another_vendors_product(conn: Conn, known: dict[str, Any]) -> None:
    theirs = "select id, price from public.products where vendor_id = %s order by id"
    before = rows(conn, None, theirs, [SHOREDITCH.shop])
    changed = rows(
        conn,
        CAMDEN,
        "update public.products set price = 0.01 where vendor_id = %s returning id",
        [SHOREDITCH.shop],
    )
    changed += rows(
        conn,
        CAMDEN,
        "delete from public.products where vendor_id = %s returning id",
        [SHOREDITCH.shop],
    )
    expect(not changed, f"camden changed {len(changed)} of shoreditch's products")
    refused(
        conn,
        CAMDEN,
        "insert into public.products (vendor_id, name, price) values (%s, 'Fake', 1)",
        [SHOREDITCH.shop],
        error=DENIED,
    )
    expect(rows(conn, None, theirs, [SHOREDITCH.shop]) == before, "shoreditch's products changed")


def edit_another_vendors_order(conn: Conn, known: dict[str, Any]) -> None:
    moved = rows(
        conn,
        CAMDEN,
        "update public.orders set status = 'cancelled' where vendor_id = %s returning id",
        [SHOREDITCH.shop],
    )
    expect(not moved, f"camden cancelled {len(moved)} of shoreditch's orders")
    own = rows(
        conn,
        None,
        "select id from public.orders where vendor_id = %s and status = 'pending' limit 1",
        [CAMDEN.shop],
    )[0][0]
    refused(
        conn,
        CAMDEN,
        "update public.orders set notes = 'no nuts, please' where id = %s",
        [own],
        error=DENIED,  # a vendor moves the status only
    )
    refused(
        conn,
        CAMDEN,
        "update public.orders set vendor_id = %s where id = %s",
        [SHOREDITCH.shop, own],
        error=DENIED,
    )
    rows(conn, CAMDEN, "update public.orders set status = 'confirmed' where id = %s", [own])
    status = value(conn, "select status from public.orders where id = %s", [own])
    expect(status == "confirmed", f"camden could not confirm its own order ({status})")


def verify_ones_own_shop(conn: Conn, known: dict[str, Any]) -> None:
    refused(
        conn,
        PANTRY,
        "update public.vendors set is_verified = true where id = %s",
        [PANTRY.shop],
        error=DENIED,
    )
    refused(
        conn,
        CAMDEN,
        "update public.vendors set user_id = %s where id = %s",
        [ALICE.uid, CAMDEN.shop],
        error=DENIED,
    )
    refused(
        conn,
        CAMDEN,
        "update public.vendors set review_count = 1000, rating_sum = 5000 where id = %s",
        [CAMDEN.shop],
        error=DENIED,
    )
    verified = value(conn, "select is_verified from public.vendors where id = %s", [PANTRY.shop])
    expect(verified is False, "pending pantry verified itself")


def notify_someone_else(conn: Conn, known: dict[str, Any]) -> None:
    count = "select count(*) from public.notifications where user_id = %s"
    before = value(conn, count, [BOB.uid])
    refused(
        conn,
        ALICE,
        "insert into public.notifications (user_id, type, title) "
        "values (%s, 'system', 'Your account is suspended')",
        [BOB.uid],
        error=DENIED,
    )
    refused(
        conn,
        ALICE,
        "update public.notifications set title = 'edited' where user_id = %s",
        [ALICE.uid],
        error=DENIED,  # a customer only marks notifications read
    )
    expect(value(conn, count, [BOB.uid]) == before, "a notification for bob appeared")
    read = rows(
        conn,
        ALICE,
        "update public.notifications set is_read = true where user_id = %s returning id",
        [ALICE.uid],
    )
    expect(bool(read), "alice could not mark her notifications read")


def review_without_a_delivered_order(conn: Conn, known: dict[str, Any]) -> None:
    refused(
        conn,
        ALICE,
        "insert into public.reviews (order_id, user_id, vendor_id, rating) values (%s, %s, %s, 5)",
        [known["alice_pending"], ALICE.uid, known["shoreditch"]],
        error=ZoraSqlState.REVIEW_WITHOUT_DELIVERY,
    )
    refused(
        conn,
        BOB,
        "insert into public.reviews (order_id, user_id, vendor_id, rating) values (%s, %s, %s, 1)",
        [known["alice_delivered"], BOB.uid, known["camden"]],
        error=DENIED,  # someone else's order: nothing about it is revealed
    )
    refused(
        conn,
        ALICE,
        "insert into public.reviews (order_id, user_id, vendor_id, rating) values (%s, %s, %s, 5)",
        [known["alice_delivered"], ALICE.uid, known["camden"]],
        error=errors.UniqueViolation,  # one review per order
    )


def broadcast_as_a_customer(conn: Conn, known: dict[str, Any]) -> None:
    call = "select public.broadcast_event('announcements', 'deal', '{\"pct\": 90}')"
    refused(conn, ALICE, call, error=DENIED)
    refused(conn, CAMDEN, call, error=DENIED)
    refused(conn, ANON, call, error=DENIED)
    rows(conn, ADMIN, call)  # an admin may


def hijack_a_definer_function(conn: Conn, known: dict[str, Any]) -> None:
    # The classic: put objects named like the ones a SECURITY DEFINER function
    # uses earlier on the search_path (pg_temp comes first), then call it.
    for statement in (
        "create temp table profiles (id uuid, role text)",
        "create temp table notifications (user_id uuid, type text, title text, "
        "description text, action_url text, data jsonb)",
        "create temp table vendors (id uuid, user_id uuid)",
    ):
        rows(conn, ALICE, statement)
    rows(conn, ALICE, "insert into profiles values (%s, 'admin')", [ALICE.uid])
    expect(rows(conn, ALICE, "select private.is_admin()") == [(False,)], "alice became admin")
    config = rows(conn, ALICE, "select key from public.system_config")
    expect(not config, "alice reads system_config")
    before = value(
        conn, "select count(*) from public.notifications where user_id = %s", [CAMDEN.uid]
    )
    rows(
        conn,
        ALICE,
        "insert into public.messages (conversation_id, sender_id, body) values (%s, %s, 'hi')",
        [known["conversation"], ALICE.uid],
    )
    after = value(
        conn, "select count(*) from public.notifications where user_id = %s", [CAMDEN.uid]
    )
    expect(after == before + 1, "the message notification went somewhere else")
    for statement in (
        "create function public.lower(text) returns text language sql as 'select $1'",
        "create table public.shadow (id int)",
        "create function private.is_admin(x int) returns boolean language sql as 'select true'",
    ):
        refused(conn, ALICE, statement, error=DENIED)


def change_ones_own_order_status(conn: Conn, known: dict[str, Any]) -> None:
    refused(
        conn,
        ALICE,
        "update public.orders set status = 'confirmed' where id = %s",
        [known["alice_pending"]],
        error=DENIED,
    )
    moved = rows(
        conn,
        ALICE,
        "update public.orders set status = 'refunded' where id = %s returning id",
        [known["alice_delivered"]],
    )
    expect(not moved, "alice refunded her own delivered order")
    rows(
        conn,
        ALICE,
        "update public.orders set status = 'cancelled' where id = %s",
        [known["alice_pending"]],
    )
    status = value(conn, "select status from public.orders where id = %s", [known["alice_pending"]])
    expect(status == "cancelled", f"alice could not cancel her pending order ({status})")


def read_private_tables_as_anon(conn: Conn, known: dict[str, Any]) -> None:
    for table in ("orders", "profiles", "addresses", "notifications", "system_config", "messages"):
        refused(conn, ANON, f"select * from public.{table}", error=DENIED)
    config = rows(conn, CAMDEN, "select key from public.system_config")
    expect(not config, "a vendor reads system_config")


ATTACKS = (
    Probe("read orders through items", "bob lists order items", read_orders_through_items),
    Probe(
        "read orders through a join",
        "bob joins public reviews to orders",
        read_orders_through_a_join,
    ),
    Probe(
        "update another user's row with returning",
        "bob writes alice's rows",
        update_someone_elses_row_with_returning,
    ),
    Probe(
        "forge an order total", "alice sets total, subtotal, fee, unit prices", forge_an_order_total
    ),
    Probe("raise one's own role", "alice and camden make themselves admin", raise_ones_own_role),
    Probe(
        "edit another vendor's product",
        "camden edits shoreditch's products",
        edit_another_vendors_product,
    ),
    Probe(
        "edit another vendor's order",
        "camden moves shoreditch's orders, edits notes",
        edit_another_vendors_order,
    ),
    Probe(
        "verify one's own shop",
        "a pending shop verifies itself, forges ratings",
        verify_ones_own_shop,
    ),
    Probe("notify someone else", "alice writes bob a notification", notify_someone_else),
    Probe(
        "review without a delivered order",
        "reviews of pending or others' orders",
        review_without_a_delivered_order,
    ),
    Probe(
        "broadcast as a customer",
        "alice, camden and anon call broadcast_event",
        broadcast_as_a_customer,
    ),
    Probe(
        "hijack a SECURITY DEFINER function",
        "shadow tables in pg_temp, objects in schemas",
        hijack_a_definer_function,
    ),
    Probe(
        "set one's own order status",
        "alice confirms or refunds her own orders",
        change_ones_own_order_status,
    ),
    Probe(
        "read private tables as anon",
        "anon reads orders, profiles, ...",
        read_private_tables_as_anon,
    ),
)
