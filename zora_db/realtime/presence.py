"""Presence as Phoenix keeps it: per topic, each member's key and metas, and the diffs.

A channel tracks at most one meta under its key. A meta carries a unique
``phx_ref``; an update carries the previous one as ``phx_ref_prev``, and its
diff both leaves the old meta and joins the new. Re-tracking an identical
payload changes nothing (Realtime's ``no_payload_change``).
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

Metas = dict[str, dict[str, list[dict[str, Any]]]]


def _ref() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class Diff:
    joins: Metas = field(default_factory=dict)
    leaves: Metas = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.joins or self.leaves)

    def payload(self) -> dict[str, Metas]:
        return {"joins": self.joins, "leaves": self.leaves}


@dataclass
class _Tracked:
    key: str
    payload: dict[str, Any]
    meta: dict[str, Any]


class Presence:
    """The tracked members of one topic, by the channel (any hashable) that tracked them."""

    def __init__(self) -> None:
        self._members: dict[Hashable, _Tracked] = {}

    def __bool__(self) -> bool:
        return bool(self._members)

    def state(self) -> Metas:
        found: Metas = {}
        for tracked in self._members.values():
            found.setdefault(tracked.key, {"metas": []})["metas"].append(tracked.meta)
        return found

    def track(self, member: Hashable, key: str, payload: dict[str, Any]) -> Diff:
        previous = self._members.get(member)
        if previous is not None and previous.payload == payload and previous.key == key:
            return Diff()
        meta = {**payload, "phx_ref": _ref()}
        leaves: Metas = {}
        if previous is not None:
            meta["phx_ref_prev"] = previous.meta["phx_ref"]
            leaves = {previous.key: {"metas": [previous.meta]}}
        self._members[member] = _Tracked(key, payload, meta)
        return Diff({key: {"metas": [meta]}}, leaves)

    def untrack(self, member: Hashable) -> Diff:
        previous = self._members.pop(member, None)
        if previous is None:
            return Diff()
        return Diff({}, {previous.key: {"metas": [previous.meta]}})
