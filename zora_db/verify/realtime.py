"""Realtime, proven as the apps receive it: the contract's subscriptions through a scenario.

The apps' subscriptions (``zora_db.contract.APP_SUBSCRIPTIONS``) are opened
by the seed's people: customers alice and bob, the vendors of Camden Bakery
and Shoreditch Grocer, an admin, and anon for "anyone". Beside them, every
one of those people also subscribes to every published table, unfiltered:
the probes an attacker would open. Then the scenario plays the seed plan's
end-to-end stories and the rest of the apps' actions, each step as the user
who does it, in its own transaction. After each commit the changes are read
from a logical slot (wal2json, as Realtime reads them) and decided by the
realtime engine with Supabase Realtime's rules.

What the database holds before and after each step is the oracle: which row
changed, what it holds, and who may SELECT it. A contract subscription fails
when an event it handles does not arrive although its filter matches the row
and its subscriber may read it (for a DELETE: the row as it was, read
before); when a payload field its app reads differs from the committed row;
or when it receives an error. Any subscription, probes included, fails the
"no leak" check when it is sent row content beyond the key of a row its
subscriber may not SELECT. The key of a deleted row sent to someone who
could not read it (Supabase never checks DELETEs) is a warning, counted per
table.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from zora_db.acting import acting_as
from zora_db.catalog import Catalog
from zora_db.contract import APP_SUBSCRIPTIONS, REALTIME_PUBLICATION, AppSubscription
from zora_db.gotrue import sign_up_sql
from zora_db.realtime import Change, ChangeStream, Deliverer, Delivery, Subscription
from zora_db.realtime.changes import as_text
from zora_db.seed import seed_id
from zora_db.verify.actors import (
    ACTORS,
    ADMIN,
    ALICE,
    ANON,
    BOB,
    CAMDEN,
    SHOREDITCH,
    Actor,
)

DANA = Actor("dana", "vendor", seed_id("user:verify-dana"))
SUBSCRIBERS = {
    "customer": (ALICE, BOB),
    "vendor": (CAMDEN, SHOREDITCH),
    "admin": (ADMIN,),
    "anyone": (ANON, BOB),
}


@dataclass(frozen=True)
class Step:
    """One thing a user does, as that user (``None``: the platform, e.g. Supabase Auth)."""

    name: str
    actor: Actor | None
    statement: str  # named parameters from the scenario's context
    capture: str | None = None  # keep the first value returned under this name


SCENARIO = (
    # The seed plan's "Order status sync" and "Notification delivery".
    Step(
        "alice places an order at Camden Bakery",
        ALICE,
        "select id from public.create_order(%(camden)s, %(basket)s::jsonb, %(alice_address)s)",
        capture="order",
    ),
    *(
        Step(
            f"Camden Bakery moves it to {status}",
            CAMDEN,
            f"update public.orders set status = '{status}' where id = %(order)s",
        )
        for status in ("confirmed", "preparing", "ready", "out_for_delivery", "delivered")
    ),
    Step(
        "alice reads her notifications",
        ALICE,
        "update public.notifications set is_read = true where user_id = %(alice)s and not is_read",
    ),
    # "Cart sync": add, change and remove on one device, seen on the other.
    Step(
        "alice adds a cinnamon bun to her cart",
        ALICE,
        "insert into public.cart_items (user_id, product_id, vendor_id, quantity) "
        "values (%(alice)s, %(bun)s, %(camden)s, 1) returning id",
        capture="cart_item",
    ),
    Step(
        "alice wants three",
        ALICE,
        "update public.cart_items set quantity = 3 where id = %(cart_item)s",
    ),
    Step("alice removes them", ALICE, "delete from public.cart_items where id = %(cart_item)s"),
    # The vendor portal's catalogue.
    Step(
        "Camden Bakery adds a rye loaf",
        CAMDEN,
        "insert into public.products (vendor_id, name, price) "
        "values (%(camden)s, 'Rye loaf', 5.20) returning id",
        capture="product",
    ),
    Step(
        "Camden Bakery changes its price",
        CAMDEN,
        "update public.products set price = 5.50 where id = %(product)s",
    ),
    Step(
        "Camden Bakery deactivates it",
        CAMDEN,
        "update public.products set is_active = false where id = %(product)s",
    ),
    Step("Camden Bakery deletes it", CAMDEN, "delete from public.products where id = %(product)s"),
    Step(
        "Camden Bakery adds a bagel",
        CAMDEN,
        "insert into public.products (vendor_id, name, price) "
        "values (%(camden)s, 'Bagel', 1.20) returning id",
        capture="bagel",
    ),
    Step(
        "Camden Bakery deletes the bagel while it is on sale",
        CAMDEN,
        "delete from public.products where id = %(bagel)s",
    ),
    # A shop signs up and is verified.
    Step(
        "dana signs up",
        None,
        sign_up_sql("%(dana)s", "'dana@zora.test'"),
    ),
    Step(
        "an admin makes dana a vendor",
        ADMIN,
        "update public.profiles set role = 'vendor' where id = %(dana)s",
    ),
    Step(
        "dana opens Dalston Deli",
        DANA,
        "insert into public.vendors (user_id, shop_name, city) "
        "values (%(dana)s, 'Dalston Deli', 'London') returning id",
        capture="dana_shop",
    ),
    Step(
        "an admin verifies Dalston Deli",
        ADMIN,
        "update public.vendors set is_verified = true where id = %(dana_shop)s",
    ),
    # Moderation: an admin removes a message and a notification.
    Step(
        "an admin removes alice's first message",
        ADMIN,
        "delete from public.messages where id = (select id from public.messages "
        "where sender_id = %(alice)s order by created_at limit 1)",
    ),
    Step(
        "an admin deletes one of alice's notifications",
        ADMIN,
        "delete from public.notifications where id = (select id from public.notifications "
        "where user_id = %(alice)s order by created_at limit 1)",
    ),
    # A review of the delivered order.
    Step(
        "alice reviews her order",
        ALICE,
        "insert into public.reviews (order_id, user_id, vendor_id, rating, comment) "
        "values (%(order)s, %(alice)s, %(camden)s, 5, 'Still warm.')",
    ),
)


def scenario_context() -> dict[str, Any]:
    """The seed's ids the scenario names; steps add what they create."""
    sourdough = seed_id("product:camden-bakery:Sourdough loaf")
    bun = seed_id("product:camden-bakery:Cinnamon bun")
    return {
        "alice": ALICE.uid,
        "alice_address": seed_id("address:alice"),
        "camden": CAMDEN.shop,
        "bun": bun,
        "dana": DANA.uid,
        "basket": json.dumps(
            [{"product_id": str(sourdough), "quantity": 2}, {"product_id": str(bun), "quantity": 1}]
        ),
    }


# --------------------------------------------------------------------------- subscribers


@dataclass(frozen=True)
class Subscriber:
    subscription: Subscription
    actor: Actor
    contract: AppSubscription | None = None  # None: a probe


def opened_by(entry: AppSubscription, actor: Actor) -> Subscription:
    """The contract's subscription as ``actor`` opens it (the apps listen to every event)."""
    text = entry.filter.format(uid=actor.claims.get("sub"), shop=actor.shop)
    return Subscription(entry.table, actor.claims, "*", text, label=entry.name)


def subscribers(tables: tuple[str, ...]) -> list[Subscriber]:
    """The contract's subscriptions, as each kind of user opens them, and the probes."""
    opened = [
        Subscriber(opened_by(entry, actor), actor, entry)
        for entry in APP_SUBSCRIPTIONS
        for actor in SUBSCRIBERS[entry.subscriber]
    ]
    probes = [
        Subscriber(Subscription(table, actor.claims, label=f"probe {table} as {actor.key}"), actor)
        for table in tables
        for actor in ACTORS
    ]
    return opened + probes


# --------------------------------------------------------------------------- the oracle

Key = tuple[str | None, ...]


@dataclass
class Snapshot:
    """The published tables as their owner sees them, and which keys each subscriber sees."""

    rows: dict[str, dict[Key, dict[str, Any]]] = field(default_factory=dict)
    visible: dict[tuple[str, str], set[Key]] = field(default_factory=dict)  # (actor, table)

    def row(self, table: str, key: Key) -> dict[str, Any] | None:
        return self.rows.get(table, {}).get(key)

    def sees(self, actor: Actor, table: str, key: Key) -> bool:
        return key in self.visible.get((actor.key, table), set())


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def take_snapshot(
    conn: psycopg.Connection[Any], keys: Mapping[str, tuple[str, ...]], actors: list[Actor]
) -> Snapshot:
    snapshot = Snapshot()
    with conn.transaction():
        for table, key in keys.items():
            target = sql.Identifier(*table.split("."))
            rows = conn.execute(
                sql.SQL("select cast(to_jsonb(t) as text) from {} t").format(target)
            ).fetchall()
            parsed = [_loads(r[0]) for r in rows]
            snapshot.rows[table] = {tuple(as_text(p[k]) for k in key): p for p in parsed}
            columns = sql.SQL(", ").join(
                sql.SQL("cast({} as text)").format(sql.Identifier(k)) for k in key
            )
            for actor in actors:
                try:
                    with conn.transaction(), acting_as(conn, actor.uid):
                        seen = conn.execute(
                            sql.SQL("select {} from {}").format(columns, target)
                        ).fetchall()
                except psycopg.errors.InsufficientPrivilege:
                    seen = []
                snapshot.visible[actor.key, table] = set(seen)
    conn.rollback()
    return snapshot


# --------------------------------------------------------------------------- the run


@dataclass
class RealtimeResult:
    plugin: str
    problems: dict[str, list[str]]  # check name -> problems (empty: passed)
    # table -> deleted row's key -> who received it without being able to read the row
    exposures: dict[str, dict[Key, set[str]]]
    latencies_ms: list[float]
    deliveries: int = 0

    @property
    def warnings(self) -> list[str]:
        found = []
        for table, rows in sorted(self.exposures.items()):
            who = sorted(set().union(*rows.values()))
            found.append(
                f"{table}: the key of {len(rows)} deleted row(s) went to subscribers who could "
                f"not read it ({', '.join(who)}): Realtime never checks a DELETE"
            )
        return found


class _Judge:
    """Compares each change's deliveries with what the database says should have happened."""

    def __init__(self, deliverer: Deliverer, catalog: Catalog, plugin: str) -> None:
        self.deliverer = deliverer
        self.plugin = plugin
        self.problems: dict[str, list[str]] = defaultdict(list)
        self.exercised: set[tuple[str, str]] = set()
        self.exposures: dict[str, dict[Key, set[str]]] = defaultdict(lambda: defaultdict(set))
        # pgoutput leaves these out of the stream: they cannot be compared then.
        self.generated = {
            (r.qualified, c.name) for r in catalog.tables for c in r.columns if c.generated
        }

    def judge(
        self,
        step: str,
        change: Change,
        key: Key,
        deliveries: list[Delivery],
        subs: list[Subscriber],
        before: Snapshot,
        after: Snapshot,
    ) -> None:
        table, action = change.qualified, change.action
        deleted = action == "DELETE"
        seen_in = before if deleted else after
        row = seen_in.row(table, key)
        got = {id(d.subscription): d for d in deliveries}
        pk = set(self.deliverer.primary_key(table))
        for sub in subs:
            delivery = got.get(id(sub.subscription))
            if self._expected(change, key, sub, row, seen_in):
                assert sub.contract is not None
                self.exercised.add((sub.contract.name, action))
                if delivery is None:
                    self.problems[self._name(sub)].append(
                        f"{step}: the {action} of {table} {key[0]} did not arrive"
                    )
            if delivery is None:
                continue
            readable = seen_in.sees(sub.actor, table, key)
            leaked = delivery.content - pk
            if leaked and not readable:
                self.problems["no row content to anyone who cannot read the row"].append(
                    f"{step}: {action} {table} sent {', '.join(sorted(leaked))} to {sub.actor.key}"
                )
            if deleted and not readable:
                self.exposures[table][key].add(sub.actor.key)
            if sub.contract is None:
                continue
            name = self._name(sub)
            if delivery.errors:
                self.problems[name].append(f"{step}: {action} arrived as {delivery.errors}")
                continue
            for field_ in sub.contract.reads.get(action, ()):
                self._compare(name, step, change, field_, delivery, sub, before, after, key)

    def _expected(
        self, change: Change, key: Key, sub: Subscriber, row: dict[str, Any] | None, seen: Snapshot
    ) -> bool:
        """Whether a contract subscription must receive ``change``: it handles the event, its
        filter matches the row (as it was, for a DELETE) and its subscriber may read the row."""
        entry = sub.contract
        if entry is None or change.action not in entry.needs or row is None:
            return False
        values = {name: as_text(value) for name, value in row.items()}
        return seen.sees(sub.actor, change.qualified, key) and self.deliverer.filters_hold(
            sub.subscription, values
        )

    def _compare(
        self,
        name: str,
        step: str,
        change: Change,
        field_: str,
        delivery: Delivery,
        sub: Subscriber,
        before: Snapshot,
        after: Snapshot,
        key: Key,
    ) -> None:
        side, _, column = field_.partition(".")
        truth = (after if side == "new" else before).row(change.qualified, key)
        if truth is None:
            return  # gone by commit: nothing committed to compare with
        columns = [column]
        if column == "*":
            may = self.deliverer.selectable(change.qualified, sub.subscription.role)
            columns = [c for c in truth if may.get(c)]
        for c in columns:
            if self.plugin == "pgoutput" and (change.qualified, c) in self.generated:
                continue  # pgoutput does not carry stored generated columns: said as a warning
            sent = delivery.payload[side].get(c, "(absent)")
            if sent != truth.get(c):
                self.problems[name].append(
                    f"{step}: {change.action} {side}.{c} is {sent}, the committed row says "
                    f"{truth.get(c)}"
                )

    @staticmethod
    def _name(sub: Subscriber) -> str:
        assert sub.contract is not None
        return f"{sub.contract.name} ({sub.actor.key})"


def check_realtime(
    url: str,
    catalog: Catalog,
    plugin: str = "auto",
    after_step: Callable[[str], None] | None = None,
) -> RealtimeResult:
    """Play the scenario against ``url`` (at head, seeded) and judge every delivery.

    ``after_step`` is called before the first step ("the start") and after
    each one's deliveries are judged (catch-up's judge resumes there).
    """
    publication = catalog.publication(REALTIME_PUBLICATION)
    tables = publication.tables if publication else ()
    subs = subscribers(tables)
    watched = [*{s.actor.key: s.actor for s in subs}.values(), DANA]
    with (
        ChangeStream(url, plugin=plugin) as stream,
        psycopg.connect(url) as conn,
        psycopg.connect(url) as observer,
        psycopg.connect(url) as writer,
    ):
        deliverer = Deliverer(conn, catalog)
        keys = {t: deliverer.primary_key(t) for t in tables}
        judge = _Judge(deliverer, catalog, stream.plugin)
        # As in production: a commit returns once its WAL is flushed.
        writer.execute("set synchronous_commit = on")
        writer.commit()
        context = scenario_context()
        latencies: list[float] = []
        delivered = 0
        before = take_snapshot(observer, keys, watched)
        stream.read()  # start from here
        if after_step is not None:
            after_step("the start")
        for step in SCENARIO:
            try:
                _play(writer, step, context)
            except psycopg.Error as exc:
                judge.problems[f"scenario: {step.name}"].append(
                    f"{exc.sqlstate}: {exc.diag.message_primary}"
                )
                break
            committed = time.perf_counter()
            changes = stream.read(until=_flushed(writer))
            decided = [(c, deliverer.decide(c, [s.subscription for s in subs])) for c in changes]
            latencies.append((time.perf_counter() - committed) * 1000)
            after = take_snapshot(observer, keys, watched)
            for change, deliveries in decided:
                delivered += len(deliveries)
                key = _key(change, keys.get(change.qualified, ()))
                relevant = [s for s in subs if s.subscription.table == change.qualified]
                judge.judge(step.name, change, key, deliveries, relevant, before, after)
            before = after
            if after_step is not None:
                after_step(step.name)
    for entry in APP_SUBSCRIPTIONS:
        for event in entry.needs:
            if (entry.name, event) not in judge.exercised:
                judge.problems["the scenario exercises every event the apps handle"].append(
                    f"{entry.name}: no {event} it should receive"
                )
    return RealtimeResult(stream.plugin, judge.problems, judge.exposures, latencies, delivered)


def _play(writer: psycopg.Connection[Any], step: Step, context: dict[str, Any]) -> None:
    with writer.transaction():
        if step.actor is None:
            cur = writer.execute(step.statement, context)
        else:
            with acting_as(writer, step.actor.uid):
                cur = writer.execute(step.statement, context)
        if step.capture:
            row = cur.fetchone()
            assert row is not None, f"{step.name} returned nothing"
            context[step.capture] = row[0]


def _flushed(writer: psycopg.Connection[Any]) -> str:
    row = writer.execute("select cast(pg_catalog.pg_current_wal_lsn() as text)").fetchone()
    writer.commit()
    assert row is not None
    return str(row[0])


def _key(change: Change, key: tuple[str, ...]) -> Key:
    values = change.old() if change.action == "DELETE" else change.new()
    return tuple(values.get(k) for k in key)


def latency_summary(latencies: list[float]) -> dict[str, float]:
    values = sorted(latencies)
    if not values:
        return {}
    p99 = (
        statistics.quantiles(values, n=100, method="inclusive")[98]
        if len(values) > 1
        else values[0]
    )
    return {
        "p50": round(statistics.median(values), 2),
        "p99": round(p99, 2),
        "max": round(values[-1], 2),
    }


def outcomes(result: RealtimeResult) -> Iterator[tuple[str, bool, str]]:
    """(name, passed, detail) for every contract subscription and realtime-wide check."""
    names = [
        *(f"{e.name} ({a.key})" for e in APP_SUBSCRIPTIONS for a in SUBSCRIBERS[e.subscriber]),
        "no row content to anyone who cannot read the row",
        "the scenario exercises every event the apps handle",
    ]
    names += [n for n in result.problems if n not in names]
    for name in names:
        problems = result.problems.get(name, [])
        detail = "; ".join(problems[:3]) + (
            f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        )
        yield name, not problems, detail
