"""Demo data: a small, realistic marketplace in London, loaded through the apps' rules.

Everything goes in the way the apps put it there: users are created in
``auth.users`` (their profiles come from the trigger), orders are placed
with ``create_order`` as the customer (prices and totals come from the
triggers) and moved along the allowed status transitions as their vendor
(history and notifications come from the triggers). It runs in one
transaction and only once: a database that has the seed's admin already is
left as it is.

Also here: bulk generators for benchmarks (set-based SQL, triggers on).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import psycopg

from zora_db.acting import acting_as
from zora_db.compat import require_compat_layer
from zora_db.db import connect
from zora_db.errors import RevisionError
from zora_db.gotrue import sign_up
from zora_db.summary import summarize

NAMESPACE = uuid.UUID("6d1f0c2e-9a57-4c1b-8f0e-2b7d3c9a4e10")
ADMIN_EMAIL = "admin@zora.test"


def seed_id(name: str) -> uuid.UUID:
    """A stable id for a seed object, so reruns and tests can find it."""
    return uuid.uuid5(NAMESPACE, name)


@dataclass(frozen=True)
class Vendor:
    key: str
    shop_name: str
    city: str
    latitude: float
    longitude: float
    verified: bool
    products: tuple[tuple[str, str, str], ...]  # (name, category slug, price)


CATEGORIES = (
    ("bakery", "Bakery"),
    ("groceries", "Groceries"),
    ("spices", "Spices"),
    ("drinks", "Drinks"),
)
VENDORS = (
    Vendor(
        "camden-bakery",
        "Camden Bakery",
        "London",
        51.5390,
        -0.1426,
        True,
        (
            ("Sourdough loaf", "bakery", "4.50"),
            ("Cinnamon bun", "bakery", "2.80"),
            ("Flat white beans 250g", "drinks", "8.00"),
        ),
    ),
    Vendor(
        "shoreditch-grocer",
        "Shoreditch Grocer",
        "London",
        51.5255,
        -0.0754,
        True,
        (
            ("Heritage tomatoes 500g", "groceries", "3.20"),
            ("Free-range eggs x6", "groceries", "2.90"),
            ("Oat milk 1l", "drinks", "1.95"),
        ),
    ),
    Vendor(
        "brixton-spice",
        "Brixton Spice",
        "London",
        51.4613,
        -0.1156,
        True,
        (
            ("Scotch bonnet chillies", "spices", "1.50"),
            ("Jerk seasoning", "spices", "3.75"),
            ("Plantain x3", "groceries", "2.40"),
        ),
    ),
    Vendor(
        "pending-pantry",
        "Pending Pantry",
        "London",
        51.5072,
        -0.1276,
        False,
        (("Mystery jam", "groceries", "5.00"),),
    ),
)
CUSTOMERS = (
    ("alice", "Alice Adeyemi", ("12 Parkway", "NW1 7AA", 51.5370, -0.1460)),
    ("bob", "Bob Brennan", ("3 Redchurch St", "E2 7DJ", 51.5240, -0.0760)),
    ("chloe", "Chloe Chen", ("48 Coldharbour Ln", "SW9 8PR", 51.4620, -0.1100)),
)
# (customer, vendor, [(product index, quantity)], statuses to walk through)
OrderSpec = tuple[str, str, list[tuple[int, int]], list[str]]
ORDERS: tuple[OrderSpec, ...] = (
    ("alice", "camden-bakery", [(0, 1), (1, 4)], ["confirmed", "preparing", "ready", "delivered"]),
    ("alice", "shoreditch-grocer", [(0, 2)], []),
    (
        "bob",
        "shoreditch-grocer",
        [(1, 2), (2, 3)],
        ["confirmed", "preparing", "ready", "out_for_delivery", "delivered"],
    ),
    ("bob", "brixton-spice", [(1, 1)], []),
    ("bob", "camden-bakery", [(2, 1)], ["cancelled"]),
    ("chloe", "brixton-spice", [(0, 3), (2, 2)], ["confirmed", "preparing", "ready", "delivered"]),
    ("chloe", "camden-bakery", [(1, 2)], []),
    ("chloe", "shoreditch-grocer", [(2, 1)], ["confirmed", "preparing"]),
)
REVIEWS = {  # order index -> (rating, comment)
    0: (5, "Best sourdough in Camden."),
    2: (4, "Fresh eggs, quick delivery."),
    5: (5, "Proper heat, will order again."),
}


@dataclass(frozen=True)
class SeedResult:
    created: bool
    counts: dict[str, int]


def seed(url: str) -> SeedResult:
    """Load the demo data set (once); return the row counts of the main tables.

    The schema must be migrated (the data set is written for it): a database
    without the compatibility layer or never migrated is refused, not half-seeded.
    """
    with connect(url) as conn:
        require_compat_layer(conn)
    if not summarize(url).revision:
        raise RevisionError(
            "the database is not migrated; the demo data needs the schema",
            hint="run `zora-db upgrade` first",
        )
    with connect(url) as conn:
        already = conn.execute(
            "select exists (select from auth.users where email = %s)", [ADMIN_EMAIL]
        ).fetchone()
        created = not (already and already[0])
        if created:
            _load(conn)
        conn.commit()
        return SeedResult(created, _counts(conn))


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = (
        "profiles",
        "vendors",
        "products",
        "orders",
        "order_items",
        "reviews",
        "notifications",
        "messages",
        "cart_items",
    )
    row = conn.execute(
        "select " + ", ".join(f"(select count(*) from public.{t})" for t in tables)
    ).fetchone()
    assert row is not None
    return dict(zip(tables, (int(n) for n in row), strict=True))


def _user(conn: psycopg.Connection, key: str, email: str, full_name: str) -> uuid.UUID:
    return sign_up(conn, email, {"full_name": full_name}, user_id=seed_id(f"user:{key}"))


def _load(conn: psycopg.Connection) -> None:
    admin = _user(conn, "admin", ADMIN_EMAIL, "Zora Admin")
    conn.execute("update public.profiles set role = 'admin' where id = %s", [admin])

    category_ids = {}
    for position, (slug, name) in enumerate(CATEGORIES):
        category_ids[slug] = seed_id(f"category:{slug}")
        conn.execute(
            "insert into public.categories (id, name, slug, sort_order) values (%s, %s, %s, %s)",
            [category_ids[slug], name, slug, position],
        )

    vendor_ids: dict[str, uuid.UUID] = {}
    vendor_users: dict[str, uuid.UUID] = {}
    product_ids: dict[str, list[uuid.UUID]] = {}
    for v in VENDORS:
        owner = _user(conn, v.key, f"{v.key}@zora.test", f"{v.shop_name} owner")
        conn.execute("update public.profiles set role = 'vendor' where id = %s", [owner])
        vendor_users[v.key] = owner
        vendor_ids[v.key] = seed_id(f"vendor:{v.key}")
        conn.execute(
            "insert into public.vendors (id, user_id, shop_name, city, latitude, longitude, "
            "is_verified, delivery_fee, description) values (%s, %s, %s, %s, %s, %s, %s, 2.50, %s)",
            [
                vendor_ids[v.key],
                owner,
                v.shop_name,
                v.city,
                v.latitude,
                v.longitude,
                v.verified,
                f"{v.shop_name}, delivering across {v.city}.",
            ],
        )
        product_ids[v.key] = []
        for name, category, price in v.products:
            pid = seed_id(f"product:{v.key}:{name}")
            product_ids[v.key].append(pid)
            conn.execute(
                "insert into public.products (id, vendor_id, category_id, name, price, "
                "stock_quantity) values (%s, %s, %s, %s, %s, 100)",
                [pid, vendor_ids[v.key], category_ids[category], name, price],
            )

    customers: dict[str, uuid.UUID] = {}
    addresses: dict[str, uuid.UUID] = {}
    for key, full_name, (line1, postcode, lat, lng) in CUSTOMERS:
        customers[key] = _user(conn, key, f"{key}@zora.test", full_name)
        addresses[key] = seed_id(f"address:{key}")
        conn.execute(
            "insert into public.addresses (id, user_id, label, line1, city, postcode, latitude, "
            "longitude, is_default) values (%s, %s, 'Home', %s, 'London', %s, %s, %s, true)",
            [addresses[key], customers[key], line1, postcode, lat, lng],
        )
        conn.execute(
            "insert into public.device_tokens (user_id, token, platform) values (%s, %s, 'ios')",
            [customers[key], f"seed-push-token-{key}"],
        )

    orders: list[uuid.UUID] = []
    for customer, vendor, items, statuses in ORDERS:
        payload = [{"product_id": str(product_ids[vendor][i]), "quantity": q} for i, q in items]
        with acting_as(conn, customers[customer]):
            row = conn.execute(
                "select id from public.create_order(%s, %s::jsonb, %s, null)",
                [vendor_ids[vendor], json.dumps(payload), addresses[customer]],
            ).fetchone()
        assert row is not None
        orders.append(row[0])
        with acting_as(conn, vendor_users[vendor]):
            for status in statuses:
                conn.execute("update public.orders set status = %s where id = %s", [status, row[0]])
        if statuses and statuses[-1] == "delivered":
            conn.execute(
                "insert into public.payments (order_id, user_id, amount, currency, status, "
                "provider, provider_reference) select id, user_id, total, currency, 'succeeded', "
                "'stripe', %s from public.orders where id = %s",
                [f"seed-pi-{len(orders)}", row[0]],
            )

    for index, (rating, comment) in REVIEWS.items():
        customer, vendor, items, _ = ORDERS[index]
        with acting_as(conn, customers[customer]):
            conn.execute(
                "insert into public.reviews (order_id, user_id, vendor_id, product_id, rating, "
                "comment) values (%s, %s, %s, %s, %s, %s)",
                [
                    orders[index],
                    customers[customer],
                    vendor_ids[vendor],
                    product_ids[vendor][items[0][0]],
                    rating,
                    comment,
                ],
            )

    for customer, vendor, product_index, quantity in (
        ("alice", "brixton-spice", 1, 2),
        ("alice", "camden-bakery", 0, 1),
        ("bob", "camden-bakery", 1, 6),
        ("chloe", "shoreditch-grocer", 0, 1),
    ):
        conn.execute(
            "insert into public.cart_items (user_id, product_id, vendor_id, quantity) "
            "values (%s, %s, %s, %s)",
            [customers[customer], product_ids[vendor][product_index], vendor_ids[vendor], quantity],
        )
        conn.execute(
            "insert into public.favorites (user_id, product_id) values (%s, %s) "
            "on conflict do nothing",
            [customers[customer], product_ids[vendor][product_index]],
        )

    conversation = seed_id("conversation:alice:camden-bakery")
    conn.execute(
        "insert into public.conversations (id, customer_id, vendor_id, order_id) "
        "values (%s, %s, %s, %s)",
        [conversation, customers["alice"], vendor_ids["camden-bakery"], orders[0]],
    )
    for sender, body in (
        (customers["alice"], "Hi! Could you slice the sourdough, please?"),
        (vendor_users["camden-bakery"], "Of course — sliced and on its way."),
        (customers["alice"], "Thank you!"),
    ):
        conn.execute(
            "insert into public.messages (conversation_id, sender_id, body, created_at) "
            "values (%s, %s, %s, clock_timestamp())",
            [conversation, sender, body],
        )

    conn.execute(
        "insert into public.system_config (key, value, description, updated_by) values "
        "('platform.commission_rate', '0.12', 'Share of each order kept by Zora', %(a)s), "
        "('platform.support_email', '\"support@zora.test\"', 'Where the apps send help', %(a)s), "
        "('orders.max_items', '50', 'Most items one order may hold', %(a)s)",
        {"a": admin},
    )
