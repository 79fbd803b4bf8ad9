"""Expo's push service, served locally: the documented request and reply shapes only.

Expo's service cannot run here. This stand-in takes what Expo takes (at
most 100 messages a send, 1 000 ids a receipts request, gzip bodies, a
Bearer token when it is told to want one) and answers as Expo documents:
tickets in message order, receipts by id with unknown ids left out, 401 with
``errors[]``. What it cannot know it is told: the next replies to serve
(429, 5xx, a slow reply, a short one), tokens whose device is gone or whose
message is too big, receipts to withhold. Where it differs from Expo: no
per-project rate limit of its own, no APNs/FCM behind it.
"""

from __future__ import annotations

import gzip
import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeExpo:
    """State the tests set and read; the server thread reads and writes it under ``lock``."""

    access_token: str | None = None  # when set, requests must carry it
    replies: list[Any] = field(default_factory=list)  # next send replies: 429, 500, "slow", "short"
    token_errors: dict[str, str] = field(default_factory=dict)  # token -> ticket error
    receipt_errors: dict[str, str] = field(default_factory=dict)  # token -> receipt error
    withhold_receipts: bool = False
    slow_s: float = 2.0
    messages: list[dict[str, Any]] = field(default_factory=list)
    send_requests: list[int] = field(default_factory=list)  # messages per send request
    receipt_requests: list[list[str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    tickets: dict[str, str] = field(default_factory=dict)  # ticket id -> token
    arrived: list[float] = field(default_factory=list)  # monotonic time of each message
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def deliveries(self) -> Counter[tuple[str, str]]:
        """How often each (notification id, token) arrived."""
        with self.lock:
            return Counter((m["data"]["notificationId"], m["to"]) for m in self.messages)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeExpo

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the state."""

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        body = json.loads(raw)
        fake = self.fake
        with fake.lock:
            fake.headers.append({k.lower(): v for k, v in self.headers.items()})
        if fake.access_token and self.headers.get("authorization") != f"Bearer {fake.access_token}":
            self._answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad token"}]})
        elif self.path.endswith("/push/send"):
            self._send(body)
        elif self.path.endswith("/push/getReceipts"):
            self._receipts(body["ids"])
        else:
            self._answer(404, {"errors": [{"code": "NOT_FOUND", "message": self.path}]})

    def _send(self, messages: list[dict[str, Any]]) -> None:
        fake = self.fake
        with fake.lock:
            reply = fake.replies.pop(0) if fake.replies else "ok"
        if reply == "slow":
            time.sleep(fake.slow_s)
        elif isinstance(reply, int):
            self._answer(reply, {"errors": [{"code": "FAKE", "message": f"planted {reply}"}]})
            return
        if not 0 < len(messages) <= 100:
            self._answer(400, {"errors": [{"code": "PUSH_TOO_MANY_NOTIFICATIONS", "message": ""}]})
            return
        tickets = []
        with fake.lock:
            fake.send_requests.append(len(messages))
            for m in messages:
                error = fake.token_errors.get(m["to"])
                if error:
                    tickets.append({"status": "error", "message": error,
                                    "details": {"error": error}})  # fmt: skip
                    continue
                fake.messages.append(m)
                fake.arrived.append(time.monotonic())
                ticket = f"ticket-{next(fake._ids)}"
                fake.tickets[ticket] = m["to"]
                tickets.append({"status": "ok", "id": ticket})
        if reply == "short":
            tickets = tickets[:-1]
        self._answer(200, {"data": tickets})

    def _receipts(self, ids: list[str]) -> None:
        fake = self.fake
        with fake.lock:
            fake.receipt_requests.append(ids)
            data = {}
            for ticket in ids:
                token = fake.tickets.get(ticket)
                if token is None or fake.withhold_receipts:
                    continue  # Expo leaves out ids it does not know
                error = fake.receipt_errors.get(token)
                data[ticket] = (
                    {"status": "error", "message": error, "details": {"error": error}}
                    if error
                    else {"status": "ok"}
                )
        self._answer(200, {"data": data})

    def _answer(self, status: int, body: Any) -> None:
        payload = gzip.compress(json.dumps(body).encode())
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FakeExpoServer:
    """The fake on a free loopback port, for a ``with`` block; ``url`` is its API base."""

    def __init__(self, fake: FakeExpo | None = None) -> None:
        self.fake = fake or FakeExpo()
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/--/api/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeExpoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
