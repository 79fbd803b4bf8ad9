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

One record per table (``TableRules``) holds all of it. A failing cell says
why: the rows it reached or missed, and what PostgreSQL answered for them.

Everything runs in transactions that are rolled back: the data set is
left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
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


class Answer(StrEnum):
    """What an insert met."""

    ALLOWED = "allowed"
    DENIED = "denied"  # 42501: no privilege, or a policy refuses the row
    REFUSED = "refused"  # a constraint or one of the schema's rules (ZA…), after access


ALLOWED, DENIED, REFUSED = Answer.ALLOWED, Answer.DENIED, Answer.REFUSED
KINDS = ("anon", "customer", "vendor", "admin")
# Per kind of actor: one answer, or one per actor of the kind ({"alice": …, "bob": …}).
Expected = Answer | Mapping[str, Answer]


def _kinds(anon: str, customer: str, vendor: str, admin: str) -> dict[str, str]:
    return dict(zip(KINDS, (anon, customer, vendor, admin), strict=True))


def _owned(vendor: str = OWN) -> dict[str, str]:
    """A customer's (and a vendor user's) own rows; an admin's all of them."""
    return _kinds(NONE, OWN, vendor, ALL)


def _only(**kinds: Expected) -> dict[str, Expected]:
    """Denied to every kind but those named."""
    return {kind: DENIED for kind in KINDS} | kinds


@dataclass(frozen=True)
class Candidate:
    """A row an actor tries to insert; ``setup`` runs first, as the owner."""

    name: str
    statement: str
    expected: Mapping[str, Expected]  # kind -> answer
    setup: str = ""

    def expected_for(self, actor: Actor) -> Answer:
        answer = self.expected[actor.kind]
        return answer if isinstance(answer, Answer) else answer[actor.key]


def _own_or_anothers(insert: str) -> tuple[Candidate, Candidate]:
    """A row in one's own name (anyone signed in may) and in another's (only an admin)."""
    return (
        Candidate(
            "own",
            insert.format(who="%(uid)s"),
            _only(customer=ALLOWED, vendor=ALLOWED, admin=ALLOWED),
        ),
        Candidate("someone else's", insert.format(who="%(other)s"), _only(admin=ALLOWED)),
    )


@dataclass(frozen=True)
class TableRules:
    """Who reaches which rows of one table, per operation and kind of actor."""

    table: str
    select: Mapping[str, str]  # kind -> the scope: a predicate on the table's rows
    update: Mapping[str, str]
    delete: Mapping[str, str]
    probe: str  # an assignment that changes nothing, so only access decides an update
    insert: tuple[Candidate, ...]
    key: str = "id"

    def scope(self, operation: str, kind: str) -> str:
        scopes: Mapping[str, str] = getattr(self, operation)
        return scopes[kind]


NOT_MINE = "sender_id <> %(uid)s and " + PARTICIPANT

# Ids the candidates name (read as the owner by ``facts``; actors may not see them):
# %(free_product)s nobody has in a cart or favourites yet, %(alice_pending)s and
# %(alice_delivered)s alice's orders, %(other_address)s the other customer's address.

MATRIX: tuple[TableRules, ...] = (
    TableRules(
        "profiles",
        select=_kinds(
            NONE,
            "id = %(uid)s",
            "id = %(uid)s or id in (select user_id from public.orders where vendor_id = %(shop)s)",
            ALL,
        ),
        update=_kinds(NONE, "id = %(uid)s", "id = %(uid)s", ALL),
        delete=_kinds(NONE, NONE, NONE, NONE),  # they go with their auth user
        probe="full_name = full_name",
        insert=(Candidate("anyone", "insert into public.profiles (id) values (%(uid)s)", _only()),),
    ),
    TableRules(
        "vendors",
        select=_kinds(OPEN_SHOP, OPEN_SHOP, f"{OPEN_SHOP} or user_id = %(uid)s", ALL),
        update=_kinds(NONE, NONE, "user_id = %(uid)s", ALL),
        # a shop with orders cannot go (orders are financial records)
        delete=_kinds(NONE, NONE, NONE, "id not in (select vendor_id from public.orders)"),
        probe="shop_name = shop_name",
        insert=(
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
    ),
    TableRules(
        "categories",
        select=_kinds("is_active", "is_active", "is_active", ALL),
        update=_kinds(NONE, NONE, NONE, ALL),
        delete=_kinds(NONE, NONE, NONE, ALL),
        probe="name = name",
        insert=(
            Candidate(
                "new",
                "insert into public.categories (name, slug) values ('Probe', 'probe')",
                _only(admin=ALLOWED),
            ),
        ),
    ),
    TableRules(
        "products",
        select=_kinds(CATALOGUE, CATALOGUE, f"{CATALOGUE} or {SHOP}", ALL),
        update=_kinds(NONE, NONE, SHOP, ALL),
        delete=_kinds(NONE, NONE, SHOP, ALL),
        probe="name = name",
        insert=(
            Candidate(
                "in own shop",
                "insert into public.products (vendor_id, name, price) "
                "values (%(shop)s, 'Probe', 1)",
                _only(vendor=ALLOWED, admin=REFUSED),  # an admin has no shop: null vendor
            ),
            Candidate(
                "in another shop",
                "insert into public.products (vendor_id, name, price) "
                "values (%(other_shop)s, 'Probe', 1)",
                _only(admin=ALLOWED),
            ),
        ),
    ),
    TableRules(
        "addresses",
        select=_owned(
            "user_id = %(uid)s or id in (select address_id from public.orders "
            "where vendor_id = %(shop)s)"
        ),
        update=_owned(),
        delete=_owned(),
        probe="label = label",
        insert=_own_or_anothers(
            "insert into public.addresses (user_id, line1, city, postcode) "
            "values ({who}, '1 Probe St', 'London', 'N1 1AA')"
        ),
    ),
    TableRules(
        "cart_items",
        select=_owned(),
        update=_owned(),
        delete=_owned(),
        probe="quantity = quantity",
        insert=_own_or_anothers(
            "insert into public.cart_items (user_id, product_id, vendor_id) "
            "select {who}, id, vendor_id from public.products where id = %(free_product)s"
        ),
    ),
    TableRules(
        "favorites",
        select=_owned(),
        update=_kinds(NONE, NONE, NONE, NONE),  # a favourite is added or removed
        delete=_owned(),
        probe="product_id = product_id",
        insert=_own_or_anothers(
            "insert into public.favorites (user_id, product_id) values ({who}, %(free_product)s)"
        ),
    ),
    TableRules(
        "device_tokens",
        select=_owned(),
        update=_owned(),
        delete=_owned(),
        probe="platform = platform",
        insert=_own_or_anothers(
            "insert into public.device_tokens (user_id, token, platform) "
            "values ({who}, 'probe-token', 'web')"
        ),
    ),
    TableRules(
        "notifications",
        select=_owned(),
        update=_owned(),
        delete=_kinds(NONE, NONE, NONE, ALL),
        probe="is_read = is_read",
        insert=(
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
    ),
    TableRules(
        "orders",
        select=_kinds(NONE, OWN, SHOP, ALL),
        update=_kinds(NONE, f"{OWN} and status = 'pending'", SHOP, ALL),
        delete=_kinds(NONE, NONE, NONE, NONE),
        probe="notes = notes",
        insert=(
            Candidate(
                "own",
                "insert into public.orders (user_id, vendor_id) values (%(uid)s, %(camden)s)",
                # A shop's owner cannot order from their own shop (ZA009).
                _only(
                    customer=ALLOWED,
                    vendor={"camden": REFUSED, "shoreditch": ALLOWED},
                    admin=ALLOWED,
                ),
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
                _only(admin=ALLOWED, vendor={"camden": REFUSED, "shoreditch": DENIED}),
            ),
        ),
    ),
    TableRules(
        "order_items",
        select=_kinds(NONE, MY_ORDERS, SHOP_ORDERS, ALL),
        # items of a confirmed order are frozen for everyone (ZA004), admins included
        update=_kinds(NONE, MY_PENDING_ITEMS, NONE, PENDING_ITEMS),
        delete=_kinds(NONE, MY_PENDING_ITEMS, NONE, PENDING_ITEMS),
        probe="quantity = quantity",
        insert=(
            Candidate(
                "into alice's pending order",
                "insert into public.order_items (order_id, product_id, quantity) "
                "values (%(alice_pending)s, %(oat_milk)s, 1)",
                # alice is one of the customers; bob, the other, is denied
                _only(customer={"alice": ALLOWED, "bob": DENIED}, admin=ALLOWED),
            ),
        ),
    ),
    TableRules(
        "order_status_history",
        select=_kinds(NONE, MY_ORDERS, SHOP_ORDERS, ALL),
        update=_kinds(NONE, NONE, NONE, NONE),
        delete=_kinds(NONE, NONE, NONE, NONE),
        probe="to_status = to_status",
        insert=(
            Candidate(
                "any",
                "insert into public.order_status_history (order_id, to_status) "
                "values (%(alice_pending)s, 'pending')",
                _only(),
            ),
        ),
    ),
    TableRules(
        "payments",
        select=_kinds(NONE, OWN, SHOP_ORDERS, ALL),
        update=_kinds(NONE, NONE, NONE, ALL),
        delete=_kinds(NONE, NONE, NONE, NONE),
        probe="status = status",
        insert=(
            Candidate(
                "for alice's order",  # the service role records payments; admins may
                "insert into public.payments (order_id, user_id, amount, provider) "
                "values (%(alice_pending)s, %(alice)s, 1, 'probe')",
                _only(admin=ALLOWED),
            ),
        ),
    ),
    TableRules(
        "reviews",
        select=_kinds(ALL, ALL, ALL, ALL),
        update=_owned(NONE),
        delete=_owned(NONE),
        probe="comment = comment",
        insert=(
            Candidate(
                "of alice's delivered order, as its author",
                "insert into public.reviews (order_id, user_id, vendor_id, rating) "
                "values (%(alice_delivered)s, %(uid)s, %(camden)s, 5)",
                # only alice may. Who may read the order is told it is not theirs
                # (ZA006); anyone else learns nothing about it (42501, as RLS says).
                _only(
                    customer={"alice": ALLOWED, "bob": DENIED},
                    vendor={"camden": REFUSED, "shoreditch": DENIED},
                    admin=REFUSED,
                ),
                setup="delete from public.reviews where order_id = %(alice_delivered)s",
            ),
            Candidate(
                "of alice's delivered order, in alice's name",
                "insert into public.reviews (order_id, user_id, vendor_id, rating) "
                "values (%(alice_delivered)s, %(alice)s, %(camden)s, 1)",
                _only(customer={"alice": ALLOWED, "bob": DENIED}),
                setup="delete from public.reviews where order_id = %(alice_delivered)s",
            ),
        ),
    ),
    TableRules(
        "conversations",
        select=_kinds(NONE, "customer_id = %(uid)s", SHOP, ALL),
        update=_kinds(NONE, NONE, NONE, NONE),
        delete=_kinds(NONE, NONE, NONE, ALL),
        probe="last_message_at = last_message_at",
        insert=(
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
    ),
    TableRules(
        "messages",
        select=_kinds(NONE, PARTICIPANT, PARTICIPANT, ALL),
        update=_kinds(NONE, NOT_MINE, NOT_MINE, ALL),
        delete=_kinds(NONE, NONE, NONE, ALL),
        probe="is_read = is_read",
        insert=(
            Candidate(
                "in alice's conversation with camden",
                "insert into public.messages (conversation_id, sender_id, body) "
                "values (%(conversation)s, %(uid)s, 'Probe')",
                # an outsider is stopped by deliver_message (ZA007) before the policy
                _only(
                    customer={"alice": ALLOWED, "bob": REFUSED},
                    vendor={"camden": ALLOWED, "shoreditch": REFUSED},
                    admin=REFUSED,
                ),
            ),
            Candidate(
                "in alice's name",
                "insert into public.messages (conversation_id, sender_id, body) "
                "values (%(conversation)s, %(alice)s, 'Probe')",
                _only(customer={"alice": ALLOWED, "bob": DENIED}),
            ),
        ),
    ),
    TableRules(
        "system_config",
        select=_kinds(NONE, NONE, NONE, ALL),
        update=_kinds(NONE, NONE, NONE, ALL),
        delete=_kinds(NONE, NONE, NONE, ALL),
        probe="description = description",
        insert=(
            Candidate(
                "a setting",
                "insert into public.system_config (key, value) values ('probe.key', '1')",
                _only(admin=ALLOWED),
            ),
        ),
        key="key",
    ),
)
OPERATIONS = ("select", "update", "delete", "insert")
SHOWN = 3  # rows named in a failing cell's explanation


@dataclass(frozen=True)
class Cell:
    rules: TableRules
    operation: str  # select, update, delete, insert
    actor: Actor

    @property
    def name(self) -> str:
        return f"{self.actor.key} {self.operation} {self.rules.table}"


@dataclass
class CellResult:
    """What a cell should reach and what it reached: row keys, or each candidate's answer."""

    cell: Cell
    expected: set[Any] | dict[str, Answer]
    actual: set[Any] | dict[str, Answer]
    # What PostgreSQL said, by row key or candidate name ("" for the whole statement).
    reasons: dict[Any, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.expected == self.actual

    def explain(self) -> str:
        """Why the cell failed, in a line: what differs, and what PostgreSQL answered."""
        if isinstance(self.expected, dict):
            assert isinstance(self.actual, dict)
            return "; ".join(
                f"{name}: {self.actual.get(name)} (expected {want})" + self._because(name)
                for name, want in self.expected.items()
                if self.actual.get(name) != want
            )
        assert isinstance(self.actual, set)
        parts = []
        if extra := self.actual - self.expected:
            parts.append(f"{len(extra)} rows reached that should not be ({_some(extra)})")
        if missing := self.expected - self.actual:
            said = next(
                (self.reasons[k] for k in sorted(missing, key=str) if k in self.reasons), ""
            )
            said = self.reasons.get("", said) or "no error: row level security hid them"
            parts.append(
                f"{len(missing)} rows out of reach that should not be ({_some(missing)}): {said}"
            )
        return "; ".join(parts)

    def _because(self, name: str) -> str:
        return f": {self.reasons[name]}" if name in self.reasons else ""


def _some(keys: set[Any]) -> str:
    shown = sorted(map(str, keys))
    more = f" and {len(shown) - SHOWN} more" if len(shown) > SHOWN else ""
    return ", ".join(shown[:SHOWN]) + more


def cells() -> Iterator[Cell]:
    """Every cell of the matrix: table, operation and actor."""
    for rules in MATRIX:
        for operation in OPERATIONS:
            for actor in ACTORS:
                yield Cell(rules, operation, actor)


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


def _said(exc: psycopg.Error) -> str:
    return f"{exc.sqlstate} {exc.diag.message_primary}"


def _check_rows(conn: psycopg.Connection[Any], cell: Cell, params: dict[str, Any]) -> CellResult:
    rules = cell.rules
    table, key = sql.Identifier("public", rules.table), sql.Identifier(rules.key)
    scope = sql.SQL(rules.scope(cell.operation, cell.actor.kind))
    everything = [r[0] for r in conn.execute(sql.SQL("select {} from {}").format(key, table))]
    expected = {
        r[0]
        for r in conn.execute(
            sql.SQL("select {} from {} where {}").format(key, table, scope), params
        )
    }
    result = CellResult(cell, expected, set())
    assert isinstance(result.actual, set)
    if cell.operation == "select":
        statement = sql.SQL("select {} from {}").format(key, table)
        try:
            with conn.transaction(), acting_as(conn, cell.actor.uid):
                result.actual = {r[0] for r in conn.execute(statement)}
        except errors.InsufficientPrivilege as exc:
            result.reasons[""] = _said(exc)
        return result
    if cell.operation == "update":
        statement = sql.SQL("update {} set {} where {} = %s returning {}").format(
            table, sql.SQL(rules.probe), key, key
        )
    else:
        statement = sql.SQL("delete from {} where {} = %s returning {}").format(table, key, key)
    for row in everything:
        try:
            # Each row on its own: one delete must not cascade into the next.
            with conn.transaction(force_rollback=True), acting_as(conn, cell.actor.uid):
                if conn.execute(statement, [row]).fetchone():
                    result.actual.add(row)
        except (errors.InsufficientPrivilege, errors.IntegrityError) as exc:
            result.reasons[row] = _said(exc)
        except psycopg.Error as exc:
            if not _ours(exc):
                raise
            result.reasons[row] = _said(exc)
    return result


def _ours(exc: psycopg.Error) -> bool:
    """One of the schema's own rules (SQLSTATE class ZA), which psycopg has no class for."""
    return (exc.sqlstate or "").startswith("ZA")


def _check_insert(conn: psycopg.Connection[Any], cell: Cell, params: dict[str, Any]) -> CellResult:
    expected: dict[str, Answer] = {}
    actual: dict[str, Answer] = {}
    reasons: dict[Any, str] = {}
    for candidate in cell.rules.insert:
        expected[candidate.name] = candidate.expected_for(cell.actor)
        try:
            with conn.transaction(force_rollback=True):
                if candidate.setup:
                    conn.execute(candidate.setup, params)
                with acting_as(conn, cell.actor.uid):
                    conn.execute(candidate.statement, params)
                actual[candidate.name] = ALLOWED
        except errors.InsufficientPrivilege as exc:
            actual[candidate.name] = DENIED
            reasons[candidate.name] = _said(exc)
        except psycopg.Error as exc:
            if not (isinstance(exc, errors.IntegrityError) or _ours(exc)):
                raise
            actual[candidate.name] = REFUSED
            reasons[candidate.name] = _said(exc)
    return CellResult(cell, expected, actual, reasons)
