"""The access matrix: who may read, change, delete and insert which rows, as data.

For every table and every kind of actor (anon, customer, vendor, admin) the
matrix says which rows each operation reaches, as a *scope*: a predicate on
the table's rows, evaluated as the owner on the demo data set (``%(uid)s``
is the actor, ``%(shop)s`` their shop). A cell passes when the rows the actor
actually reaches, acting as PostgREST does (role and JWT claims), are exactly
the rows of the scope. Each kind has two actors (alice and bob, camden and
shoreditch), so "own" rows are told apart from "everyone's".

* select: the primary keys ``select`` returns;
* update: the rows a no-op assignment (``PROBES``) changes, one row at a time;
* delete: the rows a one-row ``delete`` removes;
* insert: named candidate rows, each expected to be ``allowed``, ``denied``
  (42501: no privilege or the policy refuses) or ``refused`` (a constraint
  or a business rule, after access was granted).

Everything runs in transactions that are rolled back: the data set is
left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.rows import dict_row

from zora_db.acting import acting_as
from zora_db.verify.actors import ACTORS, ALICE, CAMDEN, SHOREDITCH, Actor

ALL, NONE = "true", "false"
OWN = "user_id = %(uid)s"
SHOP = "vendor_id = %(shop)s"
MY_ORDERS = "order_id in (select id from public.orders where user_id = %(uid)s)"
SHOP_ORDERS = "order_id in (select id from public.orders where vendor_id = %(shop)s)"
MY_PENDING_ITEMS = (
    "order_id in (select id from public.orders where user_id = %(uid)s and status = 'pending')"
)
PENDING_ITEMS = "order_id in (select id from public.orders where status = 'pending')"
OPEN_SHOP = "is_verified and is_active"
CATALOGUE = (
    "is_active and vendor_id in (select id from public.vendors where is_verified and is_active)"
)
PARTICIPANT = (
    "conversation_id in (select id from public.conversations "
    "where customer_id = %(uid)s or vendor_id = %(shop)s)"
)


def _kinds(anon: str, customer: str, vendor: str, admin: str) -> dict[str, str]:
    return {"anon": anon, "customer": customer, "vendor": vendor, "admin": admin}


def _owned(vendor: str = OWN) -> dict[str, str]:
    """A customer's (and a vendor user's) own rows; an admin's all of them."""
    return _kinds(NONE, OWN, vendor, ALL)


SELECT: dict[str, dict[str, str]] = {
    "profiles": _kinds(
        NONE,
        "id = %(uid)s",
        "id = %(uid)s or id in (select user_id from public.orders where vendor_id = %(shop)s)",
        ALL,
    ),
    "vendors": _kinds(OPEN_SHOP, OPEN_SHOP, f"{OPEN_SHOP} or user_id = %(uid)s", ALL),
    "categories": _kinds("is_active", "is_active", "is_active", ALL),
    "products": _kinds(CATALOGUE, CATALOGUE, f"{CATALOGUE} or {SHOP}", ALL),
    "addresses": _owned(
        "user_id = %(uid)s or id in (select address_id from public.orders "
        "where vendor_id = %(shop)s)"
    ),
    "cart_items": _owned(),
    "favorites": _owned(),
    "device_tokens": _owned(),
    "notifications": _owned(),
    "orders": _kinds(NONE, OWN, SHOP, ALL),
    "order_items": _kinds(NONE, MY_ORDERS, SHOP_ORDERS, ALL),
    "order_status_history": _kinds(NONE, MY_ORDERS, SHOP_ORDERS, ALL),
    "payments": _kinds(NONE, OWN, SHOP_ORDERS, ALL),
    "reviews": _kinds(ALL, ALL, ALL, ALL),
    "conversations": _kinds(NONE, "customer_id = %(uid)s", SHOP, ALL),
    "messages": _kinds(NONE, PARTICIPANT, PARTICIPANT, ALL),
    "system_config": _kinds(NONE, NONE, NONE, ALL),
}

# A harmless assignment per table: it changes nothing, so only access decides.
PROBES: dict[str, str] = {
    "profiles": "full_name = full_name",
    "vendors": "shop_name = shop_name",
    "categories": "name = name",
    "products": "name = name",
    "addresses": "label = label",
    "cart_items": "quantity = quantity",
    "favorites": "product_id = product_id",
    "device_tokens": "platform = platform",
    "notifications": "is_read = is_read",
    "orders": "notes = notes",
    "order_items": "quantity = quantity",
    "order_status_history": "to_status = to_status",
    "payments": "status = status",
    "reviews": "comment = comment",
    "conversations": "last_message_at = last_message_at",
    "messages": "is_read = is_read",
    "system_config": "description = description",
}

NOT_MINE = "sender_id <> %(uid)s and " + PARTICIPANT
UPDATE: dict[str, dict[str, str]] = {
    "profiles": _kinds(NONE, "id = %(uid)s", "id = %(uid)s", ALL),
    "vendors": _kinds(NONE, NONE, "user_id = %(uid)s", ALL),
    "categories": _kinds(NONE, NONE, NONE, ALL),
    "products": _kinds(NONE, NONE, SHOP, ALL),
    "addresses": _owned(),
    "cart_items": _owned(),
    "favorites": _kinds(NONE, NONE, NONE, NONE),  # a favourite is added or removed
    "device_tokens": _owned(),
    "notifications": _owned(),
    "orders": _kinds(NONE, f"{OWN} and status = 'pending'", SHOP, ALL),
    # items of a confirmed order are frozen for everyone (ZA004), admins included
    "order_items": _kinds(NONE, MY_PENDING_ITEMS, NONE, PENDING_ITEMS),
    "order_status_history": _kinds(NONE, NONE, NONE, NONE),
    "payments": _kinds(NONE, NONE, NONE, ALL),
    "reviews": _owned(NONE),
    "conversations": _kinds(NONE, NONE, NONE, NONE),
    "messages": _kinds(NONE, NOT_MINE, NOT_MINE, ALL),
    "system_config": _kinds(NONE, NONE, NONE, ALL),
}

DELETE: dict[str, dict[str, str]] = {
    "profiles": _kinds(NONE, NONE, NONE, NONE),  # they go with their auth user
    # a shop with orders cannot go (orders are financial records)
    "vendors": _kinds(NONE, NONE, NONE, "id not in (select vendor_id from public.orders)"),
    "categories": _kinds(NONE, NONE, NONE, ALL),
    "products": _kinds(NONE, NONE, SHOP, ALL),
    "addresses": _owned(),
    "cart_items": _owned(),
    "favorites": _owned(),
    "device_tokens": _owned(),
    "notifications": _kinds(NONE, NONE, NONE, ALL),
    "orders": _kinds(NONE, NONE, NONE, NONE),
    "order_items": _kinds(NONE, MY_PENDING_ITEMS, NONE, PENDING_ITEMS),
    "order_status_history": _kinds(NONE, NONE, NONE, NONE),
    "payments": _kinds(NONE, NONE, NONE, NONE),
    "reviews": _owned(NONE),
    "conversations": _kinds(NONE, NONE, NONE, ALL),
    "messages": _kinds(NONE, NONE, NONE, ALL),
    "system_config": _kinds(NONE, NONE, NONE, ALL),
}

ALLOWED, DENIED, REFUSED = "allowed", "denied", "refused"


@dataclass(frozen=True)
class Candidate:
    """A row an actor tries to insert; ``setup`` runs first, as the owner."""

    name: str
    statement: str
    expected: dict[str, str]  # kind -> ALLOWED / DENIED / REFUSED
    setup: str = ""


def _only(**kinds: str) -> dict[str, str]:
    outcome = {"anon": DENIED, "customer": DENIED, "vendor": DENIED, "admin": DENIED}
    return outcome | kinds


# Ids the candidates name (read as the owner by ``facts``; actors may not see them):
# %(free_product)s nobody has in a cart or favourites yet, %(alice_pending)s and
# %(alice_delivered)s alice's orders, %(other_address)s the other customer's address.

INSERT: dict[str, tuple[Candidate, ...]] = {
    "profiles": (
        Candidate("anyone", "insert into public.profiles (id) values (%(uid)s)", _only()),
    ),
    "vendors": (
        Candidate(
            "own shop, unverified",
            "insert into public.vendors (user_id, shop_name) values (%(uid)s, 'Probe')",
            # a vendor has a shop already: the one-shop-per-user key refuses a second
            _only(vendor=REFUSED, admin=ALLOWED),
        ),
        Candidate(
            "own shop, verified",
            "insert into public.vendors (user_id, shop_name, is_verified) "
            "values (%(uid)s, 'Probe', true)",
            _only(admin=ALLOWED),
        ),
        Candidate(
            "someone else's shop",
            "insert into public.vendors (user_id, shop_name) values (%(other)s, 'Probe')",
            _only(admin=ALLOWED),
        ),
    ),
    "categories": (
        Candidate(
            "new",
            "insert into public.categories (name, slug) values ('Probe', 'probe')",
            _only(admin=ALLOWED),
        ),
    ),
    "products": (
        Candidate(
            "in own shop",
            "insert into public.products (vendor_id, name, price) values (%(shop)s, 'Probe', 1)",
            _only(vendor=ALLOWED, admin=REFUSED),  # an admin has no shop: null vendor
        ),
        Candidate(
            "in another shop",
            "insert into public.products (vendor_id, name, price) "
            "values (%(other_shop)s, 'Probe', 1)",
            _only(admin=ALLOWED),
        ),
    ),
    "addresses": (
        Candidate(
            "own",
            "insert into public.addresses (user_id, line1, city, postcode) "
            "values (%(uid)s, '1 Probe St', 'London', 'N1 1AA')",
            _only(customer=ALLOWED, vendor=ALLOWED, admin=ALLOWED),
        ),
        Candidate(
            "someone else's",
            "insert into public.addresses (user_id, line1, city, postcode) "
            "values (%(other)s, '1 Probe St', 'London', 'N1 1AA')",
            _only(admin=ALLOWED),
        ),
    ),
    "cart_items": (
        Candidate(
            "own",
            "insert into public.cart_items (user_id, product_id, vendor_id) "
            "select %(uid)s, id, vendor_id from public.products where id = %(free_product)s",
            _only(customer=ALLOWED, vendor=ALLOWED, admin=ALLOWED),
        ),
        Candidate(
            "someone else's",
            "insert into public.cart_items (user_id, product_id, vendor_id) "
            "select %(other)s, id, vendor_id from public.products where id = %(free_product)s",
            _only(admin=ALLOWED),
        ),
    ),
    "favorites": (
        Candidate(
            "own",
            "insert into public.favorites (user_id, product_id) values (%(uid)s, %(free_product)s)",
            _only(customer=ALLOWED, vendor=ALLOWED, admin=ALLOWED),
        ),
        Candidate(
            "someone else's",
            "insert into public.favorites (user_id, product_id) "
            "values (%(other)s, %(free_product)s)",
            _only(admin=ALLOWED),
        ),
    ),
    "device_tokens": (
        Candidate(
            "own",
            "insert into public.device_tokens (user_id, token, platform) "
            "values (%(uid)s, 'probe-token', 'web')",
            _only(customer=ALLOWED, vendor=ALLOWED, admin=ALLOWED),
        ),
        Candidate(
            "someone else's",
            "insert into public.device_tokens (user_id, token, platform) "
            "values (%(other)s, 'probe-token', 'web')",
            _only(admin=ALLOWED),
        ),
    ),
    "notifications": (
        Candidate(
            "for oneself",
            "insert into public.notifications (user_id, type, title) "
            "values (%(uid)s, 'system', 'Probe')",
            _only(admin=ALLOWED),
        ),
        Candidate(
            "for someone else",
            "insert into public.notifications (user_id, type, title) "
            "values (%(other)s, 'system', 'Probe')",
            _only(admin=ALLOWED),
        ),
    ),
    "orders": (
        Candidate(
            "own",
            "insert into public.orders (user_id, vendor_id) values (%(uid)s, %(camden)s)",
            # A shop's owner cannot order from their own shop (ZA009).
            _only(customer=ALLOWED, vendor="camden:refused shoreditch:allowed", admin=ALLOWED),
        ),
        Candidate(
            "for someone else",
            "insert into public.orders (user_id, vendor_id) values (%(other)s, %(camden)s)",
            _only(admin=ALLOWED),
        ),
        Candidate(
            "to someone else's address",
            "insert into public.orders (user_id, vendor_id, address_id) "
            "values (%(uid)s, %(camden)s, %(other_address)s)",
            _only(admin=ALLOWED, vendor="camden:refused shoreditch:denied"),
        ),
    ),
    "order_items": (
        Candidate(
            "into alice's pending order",
            "insert into public.order_items (order_id, product_id, quantity) "
            "values (%(alice_pending)s, %(oat_milk)s, 1)",
            # alice is one of the customers; bob, the other, is denied
            {
                "anon": DENIED,
                "customer": "alice:allowed bob:denied",
                "vendor": DENIED,
                "admin": ALLOWED,
            },
        ),
    ),
    "order_status_history": (
        Candidate(
            "any",
            "insert into public.order_status_history (order_id, to_status) "
            "values (%(alice_pending)s, 'pending')",
            _only(),
        ),
    ),
    "payments": (
        Candidate(
            "for alice's order",  # the service role records payments; admins may
            "insert into public.payments (order_id, user_id, amount, provider) "
            "values (%(alice_pending)s, %(alice)s, 1, 'probe')",
            _only(admin=ALLOWED),
        ),
    ),
    "reviews": (
        Candidate(
            "of alice's delivered order, as its author",
            "insert into public.reviews (order_id, user_id, vendor_id, rating) "
            "values (%(alice_delivered)s, %(uid)s, %(camden)s, 5)",
            # only alice may. Who may read the order is told it is not theirs
            # (ZA006); anyone else learns nothing about it (42501, as RLS says).
            {
                "anon": DENIED,
                "customer": "alice:allowed bob:denied",
                "vendor": "camden:refused shoreditch:denied",
                "admin": REFUSED,
            },
            setup="delete from public.reviews where order_id = %(alice_delivered)s",
        ),
        Candidate(
            "of alice's delivered order, in alice's name",
            "insert into public.reviews (order_id, user_id, vendor_id, rating) "
            "values (%(alice_delivered)s, %(alice)s, %(camden)s, 1)",
            {
                "anon": DENIED,
                "customer": "alice:allowed bob:denied",
                "vendor": DENIED,
                "admin": DENIED,
            },
            setup="delete from public.reviews where order_id = %(alice_delivered)s",
        ),
    ),
    "conversations": (
        Candidate(
            "with a shop",
            "insert into public.conversations (customer_id, vendor_id) "
            "values (%(uid)s, %(shoreditch)s)",
            # nobody has one with shoreditch yet; a vendor's owner may shop too
            _only(customer=ALLOWED, vendor=ALLOWED, admin=ALLOWED),
        ),
        Candidate(
            "in someone else's name",
            "insert into public.conversations (customer_id, vendor_id) "
            "values (%(other)s, %(shoreditch)s)",
            _only(admin=ALLOWED),
        ),
    ),
    "messages": (
        Candidate(
            "in alice's conversation with camden",
            "insert into public.messages (conversation_id, sender_id, body) "
            "values (%(conversation)s, %(uid)s, 'Probe')",
            # an outsider is stopped by deliver_message (ZA007) before the policy
            {
                "anon": DENIED,
                "customer": "alice:allowed bob:refused",
                "vendor": "camden:allowed shoreditch:refused",
                "admin": REFUSED,
            },
        ),
        Candidate(
            "in alice's name",
            "insert into public.messages (conversation_id, sender_id, body) "
            "values (%(conversation)s, %(alice)s, 'Probe')",
            {
                "anon": DENIED,
                "customer": "alice:allowed bob:denied",
                "vendor": DENIED,
                "admin": DENIED,
            },
        ),
    ),
    "system_config": (
        Candidate(
            "a setting",
            "insert into public.system_config (key, value) values ('probe.key', '1')",
            _only(admin=ALLOWED),
        ),
    ),
}

PRIMARY_KEYS = {"system_config": "key"}
OPERATIONS = ("select", "update", "delete", "insert")


def _expected_outcome(candidate: Candidate, actor: Actor) -> str:
    """The outcome for this actor: per kind, or per actor as "alice:allowed bob:denied"."""
    spec = candidate.expected[actor.kind]
    if ":" not in spec:
        return spec
    per_actor = dict(part.split(":") for part in spec.split())
    return per_actor[actor.key]


@dataclass(frozen=True)
class Cell:
    table: str
    operation: str  # select, update, delete, insert
    actor: Actor

    @property
    def name(self) -> str:
        return f"{self.actor.key} {self.operation} {self.table}"


@dataclass
class CellResult:
    cell: Cell
    expected: Any
    actual: Any
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.expected == self.actual)


def cells() -> Iterator[Cell]:
    """Every cell of the matrix: table, operation and actor."""
    for table in SELECT:
        for operation in OPERATIONS:
            for actor in ACTORS:
                yield Cell(table, operation, actor)


def facts(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Ids the candidates need, read once as the owner (actors may not see them)."""
    cur = conn.cursor(row_factory=dict_row)
    row = cur.execute(
        """
        select
          (select id from public.conversations where customer_id = %(alice)s limit 1)
            as conversation,
          (select id from public.orders where user_id = %(alice)s and status = 'pending'
            limit 1) as alice_pending,
          (select id from public.orders where user_id = %(alice)s and status = 'delivered'
            limit 1) as alice_delivered,
          (select id from public.products where name = 'Plantain x3') as free_product,
          (select id from public.products where name = 'Oat milk 1l') as oat_milk,
          (select jsonb_object_agg(user_id, id) from public.addresses) as addresses
        """,
        {"alice": ALICE.uid},
    ).fetchone()
    assert row is not None, "the demo data set is missing: run zora-db seed"
    return {**row, "alice": ALICE.uid, "camden": CAMDEN.shop, "shoreditch": SHOREDITCH.shop}


def check_cell(conn: psycopg.Connection[Any], cell: Cell, known: dict[str, Any]) -> CellResult:
    """Run one cell in a transaction that is rolled back; compare with the matrix."""
    params = {**known, **cell.actor.params}
    params["other_address"] = known["addresses"].get(str(params["other"]))
    with conn.transaction(force_rollback=True):
        if cell.operation == "insert":
            return _check_insert(conn, cell, params)
        return _check_rows(conn, cell, params)


def _pk(table: str) -> sql.Composable:
    return sql.Identifier(PRIMARY_KEYS.get(table, "id"))


def _check_rows(conn: psycopg.Connection[Any], cell: Cell, params: dict[str, Any]) -> CellResult:
    table = sql.Identifier("public", cell.table)
    scope = {"select": SELECT, "update": UPDATE, "delete": DELETE}[cell.operation][cell.table]
    scope_sql = sql.SQL(scope[cell.actor.kind])
    everything = [
        r[0] for r in conn.execute(sql.SQL("select {} from {}").format(_pk(cell.table), table))
    ]
    expected = {
        r[0]
        for r in conn.execute(
            sql.SQL("select {} from {} where {}").format(_pk(cell.table), table, scope_sql),
            params,
        )
    }
    result = CellResult(cell, expected, set())
    if cell.operation == "select":
        statement = sql.SQL("select {} from {}").format(_pk(cell.table), table)
        try:
            with conn.transaction(), acting_as(conn, cell.actor.uid):
                result.actual = {r[0] for r in conn.execute(statement)}
        except errors.InsufficientPrivilege as exc:
            result.details.append(exc.diag.message_primary or str(exc))
        return result
    if cell.operation == "update":
        statement = sql.SQL("update {} set {} where {} = %s returning {}").format(
            table,
            sql.SQL(PROBES[cell.table]),
            _pk(cell.table),
            _pk(cell.table),
        )
    else:
        statement = sql.SQL("delete from {} where {} = %s returning {}").format(
            table, _pk(cell.table), _pk(cell.table)
        )
    for key in everything:
        try:
            # Each row on its own: one delete must not cascade into the next.
            with conn.transaction(force_rollback=True), acting_as(conn, cell.actor.uid):
                if conn.execute(statement, [key]).fetchone():
                    result.actual.add(key)
        except (errors.InsufficientPrivilege, errors.IntegrityError) as exc:
            result.details.append(f"{key}: {exc.sqlstate} {exc.diag.message_primary}")
        except psycopg.Error as exc:
            if not (exc.sqlstate or "").startswith("ZA"):
                raise
            result.details.append(f"{key}: {exc.sqlstate} {exc.diag.message_primary}")
    return result


def _check_insert(conn: psycopg.Connection[Any], cell: Cell, params: dict[str, Any]) -> CellResult:
    expected, actual = {}, {}
    details = []
    for candidate in INSERT[cell.table]:
        expected[candidate.name] = _expected_outcome(candidate, cell.actor)
        try:
            with conn.transaction(force_rollback=True):
                if candidate.setup:
                    conn.execute(candidate.setup, params)
                with acting_as(conn, cell.actor.uid):
                    conn.execute(candidate.statement, params)
                actual[candidate.name] = ALLOWED
        except errors.InsufficientPrivilege as exc:
            actual[candidate.name] = DENIED
            details.append(f"{candidate.name}: {exc.diag.message_primary}")
        except psycopg.Error as exc:
            state = exc.sqlstate or ""
            if not (state.startswith(("23", "ZA"))):
                raise
            actual[candidate.name] = REFUSED
            details.append(f"{candidate.name}: {state} {exc.diag.message_primary}")
    return CellResult(cell, expected, actual, details)
