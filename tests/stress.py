"""A stress run of the apps' traffic: their users' actions, racing on purpose, then invariants.

Sessions act as the demo data's people the way PostgREST does (one
transaction per request, ``set local role`` and JWT claims): customers place
orders (some replayed with their idempotency key), edit a pending order from
two devices at once (every line, and one line), fill and empty their carts,
cancel, and review delivered orders (two devices racing); two sessions per
shop walk orders along the life cycle at the same time; an admin reads the
dashboard. Afterwards the invariants are checked in SQL: money adds up,
every order's history is one unbroken chain ending at its status, one
notification per status change, ratings match their reviews, carts are sane.

Refusals the rules are meant to give under races (an order moved by the other
vendor session, items of an order that left pending, a second review) are
counted by SQLSTATE; deadlocks (40P01), serialization failures (40001) and
lock-not-available (55P03) must never happen.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from zora_db.acting import acting_as
from zora_db.seed import VENDORS, seed_id
from zora_db.verify.actors import Actor

# What the flows must never meet under load, by psycopg's class; the report keys them by code.
FORBIDDEN = tuple(
    str(error.sqlstate)
    for error in (
        psycopg.errors.DeadlockDetected,
        psycopg.errors.SerializationFailure,
        psycopg.errors.LockNotAvailable,
    )
)
NEXT_STATUS = {
    "pending": ("confirmed", "cancelled"),
    "confirmed": ("preparing",),
    "preparing": ("ready",),
    "ready": ("out_for_delivery", "delivered"),
    "out_for_delivery": ("delivered",),
}
SHOPS = [v.key for v in VENDORS if v.verified]
PRODUCTS = {seed_id(f"vendor:{v.key}"): [f"{v.key}:{p[0]}" for p in v.products] for v in VENDORS}
CUSTOMERS = ("alice", "bob", "chloe")

# Each counts the rows that break it, set-based (a join per invariant, never a
# sub-select per order): the run leaves tens of thousands of orders behind.
INVARIANTS = {
    "money: every subtotal is the sum of its lines, every total subtotal + fee": """
        select count(*) from public.orders o
          left join (select order_id, sum(line_total) as lines from public.order_items
                      group by order_id) i on i.order_id = o.id
         where o.subtotal <> coalesce(i.lines, 0) or o.total <> o.subtotal + o.delivery_fee""",
    "history: one unbroken chain per order, from pending to its status": """
        with h as (
          select order_id, from_status, to_status,
                 lag(to_status) over w as previous, row_number() over w as n,
                 count(*) over (partition by order_id) as total
            from public.order_status_history
          window w as (partition by order_id order by changed_at, id)
        )
        select (select count(*) from h where n = 1 and from_status <> 'pending')
             + (select count(*) from h where n > 1 and from_status <> previous)
             + (select count(*) from h join public.orders o on o.id = h.order_id
                 where h.n = h.total and h.to_status <> o.status)
             + (select count(*) from public.orders o
                 where o.status <> 'pending'
                   and o.id not in (select order_id from public.order_status_history))""",
    "notifications: one per status change": """
        select count(*) from
          (select order_id, count(*) as n from public.order_status_history group by 1) h
          full join (select (data ->> 'order_id')::uuid as order_id, count(*) as n
                       from public.notifications where type = 'order_status' group by 1) n
            using (order_id)
         where h.n is distinct from n.n""",
    "ratings: every shop's and product's counts match their reviews": """
        select (select count(*) from public.vendors v
                  left join (select vendor_id, count(*) as n, sum(rating) as total
                               from public.reviews group by 1) r on r.vendor_id = v.id
                 where v.review_count <> coalesce(r.n, 0)
                    or v.rating_sum <> coalesce(r.total, 0))
             + (select count(*) from public.products p
                  left join (select product_id, count(*) as n from public.reviews group by 1) r
                    on r.product_id = p.id
                 where p.review_count <> coalesce(r.n, 0))""",
    "carts: one line per product, quantities in range": """
        select count(*) from (select user_id, product_id from public.cart_items
                               group by 1, 2 having count(*) > 1
                              union all
                              select user_id, product_id from public.cart_items
                               where quantity not between 1 and 999) bad""",
}


@dataclass
class StressReport:
    seconds: float
    requests: int = 0
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    invariants: dict[str, int] = field(default_factory=dict)  # name -> rows that break it
    # What PostgreSQL said, for the first few errors that must never happen.
    forbidden_samples: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not any(self.invariants.values()) and not any(
            self.errors[code] for code in FORBIDDEN
        )

    def as_json(self) -> dict[str, Any]:
        def p(values: list[float], q: int) -> float:
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))], 2)

        return {
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "requests_per_s": round(self.requests / self.seconds),
            "actions": {
                name: {
                    "count": len(v),
                    "p50_ms": round(statistics.median(v), 2),
                    "p99_ms": p(v, 99),
                }
                for name, v in sorted(self.latencies_ms.items())
            },
            "errors_by_sqlstate": dict(sorted(self.errors.items())),
            "forbidden": {code: self.errors[code] for code in FORBIDDEN},
            "forbidden_samples": self.forbidden_samples,
            "invariants": {
                name: "holds" if broken == 0 else f"BROKEN ({broken} rows)"
                for name, broken in self.invariants.items()
            },
            "passed": self.passed,
        }


class _Session:
    """One app client: one connection, one transaction per request, as one person."""

    def __init__(self, url: str, person: str, report: StressReport, lock: threading.Lock) -> None:
        self.conn = psycopg.connect(url)
        kind = "customer" if person in CUSTOMERS else "admin" if person == "admin" else "vendor"
        self.actor = Actor(person, kind, seed_id(f"user:{person}"))
        self.uid = self.actor.uid
        self.report = report
        self.lock = lock
        self.random = random.Random(hash(person) ^ threading.get_ident())  # noqa: S311 - a traffic mix

    def request(self, action: str, work: Callable[[psycopg.Connection[Any]], Any]) -> Any:
        started = time.perf_counter()
        result, error = None, None
        try:
            with self.conn.transaction(), acting_as(self.conn, self.actor.uid):
                result = work(self.conn)
        except psycopg.Error as exc:
            error = exc.sqlstate or "?"
            if error in FORBIDDEN and len(self.report.forbidden_samples) < 5:
                self.report.forbidden_samples.append(
                    f"{action}: {exc.diag.message_primary} {exc.diag.message_detail or ''}"
                )
        with self.lock:
            self.report.requests += 1
            self.report.latencies_ms[action].append((time.perf_counter() - started) * 1000)
            if error:
                self.report.errors[error] += 1
        return result

    def close(self) -> None:
        self.conn.close()


def _customer(session: _Session, device: int) -> None:
    r = session.random
    shop = seed_id(f"vendor:{r.choice(SHOPS)}")
    roll = r.random()
    if roll < 0.25:
        key = str(uuid.uuid4())
        products = [seed_id(f"product:{p}") for p in r.sample(PRODUCTS[shop], r.randint(1, 3))]
        items = json.dumps([{"product_id": str(p), "quantity": r.randint(1, 3)} for p in products])

        def place(c: psycopg.Connection[Any]) -> Any:
            return c.execute(
                "select id from public.create_order(%s, %s::jsonb, idempotency_key => %s)",
                [shop, items, key],
            ).fetchone()

        session.request("create_order", place)
        if r.random() < 0.2:  # the response was lost: the app replays it
            session.request("create_order (replay)", place)
    elif roll < 0.55:
        # Two devices of one customer edit the same pending order.
        def edit(c: psycopg.Connection[Any]) -> None:
            order = c.execute(
                "select id from public.orders where user_id = %s and status = 'pending' "
                "order by created_at desc limit 1",
                [session.uid],
            ).fetchone()
            if not order:
                return
            if device == 0:
                c.execute(
                    "update public.order_items set quantity = least(quantity + 1, 9) "
                    "where order_id = %s",
                    [order[0]],
                )
            else:
                c.execute(
                    "update public.order_items set quantity = 1 where id = "
                    "(select id from public.order_items where order_id = %s order by random() "
                    "limit 1)",
                    [order[0]],
                )

        session.request("edit pending order", edit)
    elif roll < 0.8:

        def cart(c: psycopg.Connection[Any]) -> None:
            product = c.execute(
                "select id from public.products where vendor_id = %s and is_active "
                "order by random() limit 1",
                [shop],
            ).fetchone()
            if not product:
                return
            if r.random() < 0.6:
                c.execute(
                    "insert into public.cart_items (user_id, product_id, vendor_id, quantity) "
                    "values (%s, %s, %s, 1) on conflict (user_id, product_id) "
                    "do update set quantity = least(public.cart_items.quantity + 1, 999)",
                    [session.uid, product[0], shop],
                )
            else:
                c.execute(
                    "delete from public.cart_items where user_id = %s and product_id = %s",
                    [session.uid, product[0]],
                )

        session.request("cart", cart)
    elif roll < 0.9:
        session.request(
            "cancel",
            lambda c: c.execute(
                "update public.orders set status = 'cancelled' where id = (select id from "
                "public.orders where user_id = %s and status = 'pending' order by random() "
                "limit 1)",
                [session.uid],
            ),
        )
    else:
        session.request(
            "review",
            lambda c: c.execute(
                "insert into public.reviews (order_id, user_id, vendor_id, rating) "
                "select o.id, o.user_id, o.vendor_id, %s from public.orders o "
                "where o.user_id = %s and o.status = 'delivered' "
                "and not exists (select from public.reviews x where x.order_id = o.id) "
                "order by o.created_at limit 1",
                [r.randint(1, 5), session.uid],
            ),
        )


def _vendor(session: _Session, _device: int) -> None:
    r = session.random
    # The portal lists the shop's open orders, then moves one: both sessions
    # of a shop race for the same orders.
    open_orders = session.request(
        "list open orders",
        lambda c: c.execute(
            "select id, status::text from public.orders where vendor_id = "
            "(select private.current_vendor_id()) and status in "
            "('pending', 'confirmed', 'preparing', 'ready', 'out_for_delivery') "
            "order by created_at limit 3"
        ).fetchall(),
    )
    if not open_orders:
        time.sleep(0.005)  # nothing to do: the portal waits for the next order
        return
    order, status = r.choice(open_orders)
    # Only from the status the vendor saw: a lost race changes nothing.
    session.request(
        "status move",
        lambda c: c.execute(
            "update public.orders set status = %s where id = %s and status = %s",
            [r.choice(NEXT_STATUS[status]), order, status],
        ),
    )


def _admin(session: _Session, _device: int) -> None:
    session.request(
        "admin dashboard",
        lambda c: c.execute(
            "select status, count(*) from public.orders group by status"
        ).fetchall(),
    )


def run(url: str, seconds: float = 60.0) -> StressReport:
    """Sixteen sessions for ``seconds``, then the invariants; ``url`` holds the demo data."""
    plan: list[tuple[str, Callable[[_Session, int], None], int]] = [
        *((c, _customer, device) for c in CUSTOMERS for device in (0, 1)),
        *((c, _customer, 2) for c in CUSTOMERS),
        *((f"{shop}", _vendor, device) for shop in SHOPS for device in (0, 1)),
        ("admin", _admin, 0),
    ]
    report = StressReport(seconds)
    lock = threading.Lock()
    sessions = [_Session(url, person, report, lock) for person, _, _ in plan]
    deadline = time.monotonic() + seconds

    def loop(session: _Session, act: Callable[[_Session, int], None], device: int) -> None:
        while time.monotonic() < deadline:
            act(session, device)

    threads = [
        threading.Thread(target=loop, args=(s, act, device))
        for s, (_, act, device) in zip(sessions, plan, strict=True)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.seconds = time.monotonic() - started
    for s in sessions:
        s.close()
    with psycopg.connect(url) as conn:
        for name, statement in INVARIANTS.items():
            row = conn.execute(statement).fetchone()
            report.invariants[name] = int(row[0]) if row else 0
    return report
