"""The push outbox's statements: claim with a lease, record what Expo said, report.

Every state change is one statement in a short transaction; none is open
while Expo is called. A claim increments ``attempts``, and every record
names the attempt it claimed: a worker whose lease ran out (and whose rows
another worker took) records nothing over the newer attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from zora_db.backoff import backoff as shared_backoff
from zora_db.push.expo import Outcome

MAX_ATTEMPTS = 8  # then the row is dead, with the last error
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 600.0
UNCONFIRMED_AFTER = timedelta(hours=24)  # Expo keeps receipts for a day
RECHECK_RECEIPT_S = 300  # a receipt not there yet is asked for again after this


@dataclass(frozen=True)
class Claimed:
    """One leased message: which row, which attempt, and what to say."""

    id: int
    attempt: int
    token: str
    message: dict[str, Any]


_CLAIM = """
with picked as (
  select id from private.push_outbox
   where (state = 'pending' and not_before <= now())
      or (state = 'sending' and lease_until < now())
   order by id
   limit %(n)s
   for update skip locked
)
update private.push_outbox o
   set state = 'sending', lease_until = now() + %(lease)s, attempts = o.attempts + 1,
       updated_at = now()
  from picked, public.notifications n
 where o.id = picked.id and n.id = o.notification_id
returning o.id, o.attempts, o.token, o.notification_id::text, n.type::text, n.title,
          n.description, n.action_url, n.data
"""


def claim(conn: Any, limit: int, lease: timedelta) -> list[Claimed]:
    """Lease up to ``limit`` due rows (pending, or leased by a worker that died)."""
    with conn.transaction():
        rows = conn.execute(_CLAIM, {"n": limit, "lease": lease}).fetchall()
    return [
        Claimed(row_id, attempt, token, message(token, nid, kind, title, body, url, data))
        for row_id, attempt, token, nid, kind, title, body, url, data in rows
    ]


def message(
    token: str,
    notification_id: str,
    kind: str,
    title: str,
    body: str | None,
    action_url: str | None,
    data: dict[str, Any] | None,
) -> dict[str, Any]:
    """The Expo message for a notification: its id rides along, to fold duplicates."""
    payload = {**(data or {}), "notificationId": notification_id, "type": kind}
    if action_url:
        payload["actionUrl"] = action_url
    built: dict[str, Any] = {
        "to": token,
        "title": title,
        "data": payload,
        # A message sent twice (a retry after a lost reply) replaces itself on the device.
        "collapseId": notification_id,
        "sound": "default",
    }
    if body:
        built["body"] = body
    return built


def backoff(attempt: int) -> timedelta:
    """How long a row waits after failed attempt ``attempt``: from 2 s, at most 10 min."""
    return timedelta(seconds=shared_backoff(attempt, base_s=BACKOFF_BASE_S, cap_s=BACKOFF_CAP_S))


def record_tickets(conn: Any, batch: list[Claimed], tickets: list[Outcome]) -> dict[str, int]:
    """Apply one ticket per claimed row, in one transaction; counts by what became of them."""
    counts = {"sent": 0, "retry": 0, "dead": 0}
    with conn.transaction():
        for row, ticket in zip(batch, tickets, strict=True):
            if ticket.ok:
                _set(conn, row, "sent", ticket_id=ticket.ticket_id, sent=True)
                counts["sent"] += 1
            elif ticket.retry:
                counts[_retry(conn, row, ticket.describe())] += 1
            else:
                _dead(conn, row, ticket)
                counts["dead"] += 1
    return counts


def record_failure(conn: Any, batch: list[Claimed], error: str) -> dict[str, int]:
    """The whole request failed transiently: every row waits, or dies at the last attempt."""
    counts = {"sent": 0, "retry": 0, "dead": 0}
    with conn.transaction():
        for row in batch:
            counts[_retry(conn, row, error)] += 1
    return counts


def record_rejected(conn: Any, batch: list[Claimed], error: str) -> None:
    """Expo refused the request itself: retrying would be refused again."""
    with conn.transaction():
        for row in batch:
            _set(conn, row, "dead", error=error)


def release(conn: Any, batch: list[Claimed]) -> None:
    """Give rows back untouched (the worker stops: this attempt does not count)."""
    with conn.transaction():
        conn.execute(
            "update private.push_outbox set state = 'pending', attempts = attempts - 1,"
            " lease_until = null, not_before = now(), updated_at = now()"
            " where id = any(%s) and state = 'sending'",
            [[row.id for row in batch]],
        )


def _retry(conn: Any, row: Claimed, error: str) -> str:
    if row.attempt >= MAX_ATTEMPTS:
        _set(conn, row, "dead", error=f"{error} (after {row.attempt} attempts)")
        return "dead"
    _set(conn, row, "pending", error=error, not_before=backoff(row.attempt))
    return "retry"


def _dead(conn: Any, row: Claimed, outcome: Outcome) -> None:
    _set(conn, row, "dead", error=outcome.describe())
    if outcome.device_gone:
        deactivate(conn, row.token)


def deactivate(conn: Any, token: str) -> None:
    """Expo says the device is gone: no more messages to it until the app registers again."""
    conn.execute(
        "update public.device_tokens set is_active = false, deactivated_at = now(),"
        " deactivated_reason = 'DeviceNotRegistered' where token = %s and is_active",
        [token],
    )


def _set(
    conn: Any,
    row: Claimed,
    state: str,
    *,
    error: str | None = None,
    ticket_id: str | None = None,
    sent: bool = False,
    not_before: timedelta | None = None,
) -> None:
    # Only the attempt this worker claimed: a newer claim wins over a late record.
    conn.execute(
        "update private.push_outbox set state = %(state)s, last_error = %(error)s,"
        " ticket_id = coalesce(%(ticket)s, ticket_id),"
        " sent_at = case when %(sent)s then now() else sent_at end,"
        " not_before = now() + coalesce(%(wait)s, interval '0'), lease_until = null,"
        " updated_at = now()"
        " where id = %(id)s and attempts = %(attempt)s and state = 'sending'",
        {
            "state": state,
            "error": error,
            "ticket": ticket_id,
            "sent": sent,
            "wait": not_before,
            "id": row.id,
            "attempt": row.attempt,
        },
    )


# --------------------------------------------------------------------------- receipts

_CLAIM_RECEIPTS = """
with picked as (
  select id from private.push_outbox
   where state = 'sent' and sent_at <= now() - %(delay)s
     and (lease_until is null or lease_until < now())
   order by sent_at
   limit %(n)s
   for update skip locked
)
update private.push_outbox o set lease_until = now() + %(lease)s
  from picked where o.id = picked.id
returning o.id, o.ticket_id, o.token, o.sent_at < now() - %(gone)s
"""


def claim_receipts(
    conn: Any, limit: int, delay: timedelta, lease: timedelta
) -> list[tuple[int, str, str, bool]]:
    """Sent rows whose receipt is due: (id, ticket id, token, too old for a receipt)."""
    with conn.transaction():
        rows = conn.execute(
            _CLAIM_RECEIPTS,
            {"n": limit, "delay": delay, "lease": lease, "gone": UNCONFIRMED_AFTER},
        ).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2]), bool(r[3])) for r in rows]


def record_receipts(
    conn: Any, due: list[tuple[int, str, str, bool]], receipts: dict[str, Outcome]
) -> dict[str, int]:
    """Apply receipts; a missing one is asked again later, or after 24 h is unconfirmed."""
    counts = {"delivered": 0, "dead": 0, "resend": 0, "unconfirmed": 0, "waiting": 0}
    with conn.transaction():
        for row_id, ticket_id, token, too_old in due:
            receipt = receipts.get(ticket_id)
            if receipt is None:
                state = "unconfirmed" if too_old else "sent"
                wait = None if too_old else timedelta(seconds=RECHECK_RECEIPT_S)
                counts["unconfirmed" if too_old else "waiting"] += 1
                _finish(conn, row_id, state, None, lease=wait)
            elif receipt.ok:
                counts["delivered"] += 1
                _finish(conn, row_id, "delivered", None)
            elif receipt.retry:
                counts["resend"] += 1
                _finish(conn, row_id, "pending", receipt.describe())
            else:
                counts["dead"] += 1
                _finish(conn, row_id, "dead", receipt.describe())
                if receipt.device_gone:
                    deactivate(conn, token)
    return counts


def _finish(
    conn: Any, row_id: int, state: str, error: str | None, *, lease: timedelta | None = None
) -> None:
    conn.execute(
        "update private.push_outbox set state = %(state)s,"
        " last_error = coalesce(%(error)s, last_error),"
        " lease_until = case when %(lease)s::interval is null then null"
        " else now() + %(lease)s::interval end, not_before = now(), updated_at = now()"
        " where id = %(id)s and state = 'sent'",
        {"state": state, "error": error, "lease": lease, "id": row_id},
    )


# --------------------------------------------------------------------------- reports


def status(conn: Any) -> dict[str, Any]:
    """Counts by state, the oldest pending row's age, attempts."""
    row = conn.execute(
        """
        select coalesce(jsonb_object_agg(state, n), '{}'),
               (select extract(epoch from now() - min(created_at)) from private.push_outbox
                 where state in ('pending', 'sending')),
               (select coalesce(max(attempts), 0) from private.push_outbox
                 where state in ('pending', 'sending')),
               (select count(*) from private.push_outbox where state = 'pending' and attempts > 0)
          from (select state, count(*) n from private.push_outbox group by state) s
        """
    ).fetchone()
    conn.rollback()
    states = {s: 0 for s in ("pending", "sending", "sent", "delivered", "unconfirmed", "dead")}
    states.update(row[0])
    return {
        "states": states,
        "oldest_pending_s": round(float(row[1]), 1) if row[1] is not None else None,
        "most_attempts": int(row[2]),
        "retrying": int(row[3]),
    }


def requeue_dead(conn: Any, ids: list[int] | None = None) -> int:
    with conn.transaction():
        row = conn.execute("select private.push_requeue_dead(%s)", [ids]).fetchone()
    return int(row[0])


def prune(conn: Any, keep: timedelta) -> int:
    with conn.transaction():
        row = conn.execute("select private.push_prune(%s)", [keep]).fetchone()
    return int(row[0])
