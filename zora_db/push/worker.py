"""The push worker: the outbox to Expo, at least once, with nothing open while it waits.

Each round: claim up to 100 due rows (a lease, committed), send them in one
request with no transaction open, record the tickets in one transaction;
then receipts for rows sent long enough ago. Between rounds it sleeps on
LISTEN ``zora_push`` (the outbox's trigger notifies) for at most
``poll_s``, so a lost notification costs a second, not a message. A stop
request (Ctrl-C, SIGTERM) is honoured between rounds: the batch in flight is
recorded first.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg

from zora_db.db import connect
from zora_db.errors import ConfigError
from zora_db.progress import Say, quiet
from zora_db.push import outbox
from zora_db.push.expo import (
    MAX_MESSAGES,
    MAX_RECEIPT_IDS,
    CredentialsError,
    ExpoClient,
    RequestRejected,
    TransientError,
)

CHANNEL = "zora_push"


@dataclass(frozen=True)
class WorkerSettings:
    lease: timedelta = timedelta(seconds=60)  # a dead worker's rows return within a minute
    receipt_delay: timedelta = timedelta(minutes=15)  # Expo's advice
    poll_s: float = 1.0  # the longest a due row waits for a worker that missed a NOTIFY
    gather_s: float = 0.02  # after a wake-up, let the transaction's siblings arrive
    max_rate: float = 600.0  # messages a second: Expo's limit per project
    keep: timedelta = timedelta(days=7)  # finished rows, then pruned
    prune_every_s: float = 3600.0


@dataclass
class WorkerStats:
    requests: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value


def run(
    url: str,
    client: ExpoClient | None = None,
    *,
    once: bool = False,
    settings: WorkerSettings | None = None,
    stop: threading.Event | None = None,
    say: Say = quiet,
) -> WorkerStats:
    """Send until ``stop`` is set (or, ``once``, until nothing is due)."""
    settings = settings or WorkerSettings()
    stop = stop or threading.Event()
    with connect(url, autocommit=True) as listener, connect(url) as conn:
        rounds = _Rounds(conn, client or ExpoClient(), settings, say)
        listener.execute(f"listen {CHANNEL}")
        say(f"sending to {rounds.client.base_url}")
        pruned_at = 0.0
        while not stop.is_set():
            worked = rounds.send()
            worked |= rounds.receipts()
            if time.monotonic() - pruned_at > settings.prune_every_s:
                pruned = outbox.prune(conn, settings.keep)
                if pruned:
                    say(f"pruned {pruned} finished row(s) older than {settings.keep}")
                pruned_at = time.monotonic()
            if worked:
                continue
            if once:
                break
            _wait(listener, settings, stop)
    return rounds.stats


@dataclass
class _Rounds:
    """One worker's rounds: a batch sent and recorded, receipts read and applied."""

    conn: psycopg.Connection[Any]
    client: ExpoClient
    settings: WorkerSettings
    say: Say
    stats: WorkerStats = field(default_factory=WorkerStats)

    def __post_init__(self) -> None:
        self.pacer = _Pacer(self.settings.max_rate)

    def send(self) -> bool:
        batch = outbox.claim(self.conn, MAX_MESSAGES, self.settings.lease)
        if not batch:
            return False
        self.pacer.wait(len(batch))
        self.stats.requests += 1
        try:
            tickets = self.client.send([row.message for row in batch])
        except TransientError as exc:
            counts = outbox.record_failure(self.conn, batch, str(exc))
            self.say(f"{len(batch)} message(s) not sent, will retry: {exc}")
        except RequestRejected as exc:
            outbox.record_rejected(self.conn, batch, str(exc))
            counts = {"dead": len(batch)}
            self.say(f"{len(batch)} message(s) refused by Expo, marked dead: {exc}")
        except CredentialsError as exc:
            outbox.release(self.conn, batch)
            raise _credentials(str(exc)) from exc
        else:
            if any(t.credentials for t in tickets):
                outbox.release(self.conn, batch)
                raise _credentials("a ticket says InvalidCredentials")
            counts = outbox.record_tickets(self.conn, batch, tickets)
            self.say(_summary("sent", counts))
        self.stats.add(counts)
        return True

    def receipts(self) -> bool:
        settings = self.settings
        due = outbox.claim_receipts(
            self.conn, MAX_RECEIPT_IDS, settings.receipt_delay, settings.lease
        )
        if not due:
            return False
        self.stats.requests += 1
        try:
            receipts = self.client.receipts([ticket for _, ticket, _, _ in due])
        except (TransientError, RequestRejected) as exc:
            self.say(f"receipts for {len(due)} message(s) not read, will ask again: {exc}")
            return False  # their lease runs out, and they are asked for again
        except CredentialsError as exc:
            raise _credentials(str(exc)) from exc
        if any(r.credentials for r in receipts.values()):
            raise _credentials("a receipt says InvalidCredentials")
        counts = outbox.record_receipts(self.conn, due, receipts)
        self.stats.add({f"receipt {k}": v for k, v in counts.items()})
        self.say(_summary("receipts", counts))
        return counts["waiting"] < len(due)


def _wait(
    listener: psycopg.Connection[Any], settings: WorkerSettings, stop: threading.Event
) -> None:
    woke = False
    for _ in listener.notifies(timeout=settings.poll_s, stop_after=1):
        woke = True
    if woke and not stop.is_set():
        time.sleep(settings.gather_s)


def _credentials(detail: str) -> ConfigError:
    return ConfigError(
        f"Expo refused the push credentials ({detail}); the worker stopped, nothing was lost",
        hint="set EXPO_ACCESS_TOKEN to an access token of the app's Expo project "
        "(Enhanced Push Security), then start the worker again",
    )


def _summary(what: str, counts: dict[str, int]) -> str:
    return f"{what}: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v)


class _Pacer:
    """At most ``rate`` messages a second, on average over each request."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.next_at = 0.0

    def wait(self, messages: int) -> None:
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + messages / self.rate
