"""Expo's push API, as its documentation states it: send, tickets, receipts, errors.

``POST <base>/push/send`` takes at most 100 messages (gzip accepted) and
answers ``{"data": [ticket, …]}`` in message order; ``POST
<base>/push/getReceipts`` takes at most 1 000 ticket ids and answers
``{"data": {id: receipt}}``, omitting ids it does not know (yet, or any
more: receipts live 24 h). Network errors, 429 and 5xx are worth retrying;
401/403 and ``InvalidCredentials`` mean the access token is wrong, and
nothing sent with it will work. The stdlib's HTTP client is enough for one
JSON POST at a time; Expo has no idempotency key, so a retried request may
deliver twice, which the message's ``collapseId`` folds on the device.
"""

from __future__ import annotations

import gzip
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

DEFAULT_BASE_URL = "https://exp.host/--/api/v2"
BASE_URL_ENV = "ZORA_EXPO_PUSH_URL"
TOKEN_ENV = "EXPO_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a secret
MAX_MESSAGES = 100  # a send request
MAX_RECEIPT_IDS = 1000  # a receipts request
TIMEOUT_S = 10.0


class TransientError(Exception):
    """The request may succeed later: network, timeout, 429, 5xx, a malformed reply."""


class CredentialsError(Exception):
    """Expo refused the access token: every request would fail the same way."""


class RequestRejected(Exception):
    """Expo refused the request itself (a 4xx other than 401/403/429): retrying will not help."""


@dataclass(frozen=True)
class Outcome:
    """What Expo said of one message (a ticket) or one delivery (a receipt)."""

    ok: bool
    ticket_id: str | None = None
    error: str | None = None  # Expo's details.error, e.g. DeviceNotRegistered
    message: str | None = None

    @property
    def device_gone(self) -> bool:
        return self.error == "DeviceNotRegistered"

    @property
    def retry(self) -> bool:
        """Worth sending again later (per-device rate limit, Expo's own trouble)."""
        return self.error in ("MessageRateExceeded", "ExpoError", "ProviderError")

    @property
    def credentials(self) -> bool:
        return self.error == "InvalidCredentials"

    def describe(self) -> str:
        return f"{self.error or 'error'}: {self.message or ''}".strip()


class ExpoClient:
    """Expo's push service at ``base_url`` (``ZORA_EXPO_PUSH_URL``, else Expo's own)."""

    def __init__(
        self,
        base_url: str | None = None,
        access_token: str | None = None,
        *,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self.access_token = access_token or os.environ.get(TOKEN_ENV) or None
        self.timeout_s = timeout_s

    def send(self, messages: list[dict[str, Any]]) -> list[Outcome]:
        """One ticket per message, in order; raises for a request that failed whole."""
        if not 0 < len(messages) <= MAX_MESSAGES:
            raise ValueError(f"Expo takes 1 to {MAX_MESSAGES} messages a request")
        reply = self._post("/push/send", messages)
        tickets = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(tickets, list) or len(tickets) != len(messages):
            # Tickets are matched to messages by position: a short reply matches none.
            got = len(tickets) if isinstance(tickets, list) else "no"
            raise TransientError(f"Expo answered {got} tickets for {len(messages)} messages")
        return [_outcome(t) for t in tickets]

    def receipts(self, ticket_ids: list[str]) -> dict[str, Outcome]:
        """Receipts by ticket id; ids Expo does not (or no longer) know are absent."""
        if not 0 < len(ticket_ids) <= MAX_RECEIPT_IDS:
            raise ValueError(f"Expo takes 1 to {MAX_RECEIPT_IDS} receipt ids a request")
        reply = self._post("/push/getReceipts", {"ids": ticket_ids})
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, dict):
            raise TransientError("Expo's receipts reply has no data object")
        return {str(k): _outcome(v) for k, v in data.items() if isinstance(v, dict)}

    def _post(self, path: str, body: Any) -> Any:
        headers = {
            "accept": "application/json",
            "accept-encoding": "gzip",
            "content-type": "application/json",
            "content-encoding": "gzip",
        }
        if self.access_token:
            headers["authorization"] = f"Bearer {self.access_token}"
        request = urllib.request.Request(  # noqa: S310 - the URL is configuration, http(s)
            self.base_url + path,
            data=gzip.compress(json.dumps(body).encode()),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                raw = response.read()
                if response.headers.get("content-encoding") == "gzip":
                    raw = gzip.decompress(raw)
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            if exc.code in (401, 403):
                raise CredentialsError(
                    f"Expo refused the access token ({exc.code}): {detail}"
                ) from exc
            if exc.code == 429 or exc.code >= 500:
                raise TransientError(f"Expo answered {exc.code}: {detail}") from exc
            raise RequestRejected(f"Expo refused the request ({exc.code}): {detail}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransientError(f"could not reach Expo at {self.base_url}: {reason}") from exc
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise TransientError("Expo's reply is not JSON") from exc


def _outcome(item: Any) -> Outcome:
    if not isinstance(item, dict):
        return Outcome(ok=False, error="ExpoError", message="a ticket that is not an object")
    if item.get("status") == "ok":
        return Outcome(ok=True, ticket_id=item.get("id"))
    details = item.get("details")
    error = details.get("error") if isinstance(details, dict) else None
    return Outcome(ok=False, error=error, message=item.get("message"))


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read()
        if exc.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        errors = json.loads(body).get("errors") or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or str(exc.reason)
    except (ValueError, OSError, AttributeError):
        return str(exc.reason)
