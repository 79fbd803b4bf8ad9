"""Subscriptions as supabase-js opens them: table, event, filter and the subscriber's JWT claims.

Filters use Realtime's syntax, a PostgREST subset: ``column=op.value``,
several joined by commas (all must hold), ``not.`` before the operator to
negate it, ``in.(a,b)`` for lists, double quotes around a value that holds
a comma. Operators: eq, neq, lt, lte, gt, gte, in, like, ilike, is (null,
true, false, unknown), match, imatch, isdistinct.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zora_db.acting import claims_for
from zora_db.errors import SubscriptionError

EVENTS = ("*", "INSERT", "UPDATE", "DELETE")
OPERATORS = (
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "like",
    "ilike",
    "is",
    "match",
    "imatch",
    "isdistinct",
)
IS_KEYWORDS = ("null", "true", "false", "unknown")
MAX_IN_VALUES = 100


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: str  # for ``in``: PostgreSQL array text, ``{a,b}``
    negate: bool = False

    def __str__(self) -> str:
        value = f"({self.value[1:-1]})" if self.op == "in" else self.value
        return f"{self.column}={'not.' if self.negate else ''}{self.op}.{value}"


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses and double quotes (``in.(a,b)``, ``eq."a,b"``)."""
    parts, current, depth, quoted, escaped = [], "", 0, False, False
    for char in text:
        if quoted:
            quoted = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"' and (not current or current[-1] in ".(,"):
            quoted = True
        elif char in "()":
            depth = depth + 1 if char == "(" else max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    return [*parts, current]


def _unquote(value: str) -> str:
    if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        return value
    inner, out, i = value[1:-1], "", 0
    while i < len(inner):
        if inner[i] == "\\" and i + 1 < len(inner):
            i += 1
        elif inner[i] == '"':
            return value  # a quote inside: not one quoted value
        out += inner[i]
        i += 1
    return out


def parse_filters(text: str) -> tuple[Filter, ...]:
    """Realtime's filter string as ``Filter``s; SubscriptionError names what is wrong."""
    if not text.strip():
        return ()
    filters = []
    for segment in _split_top_level(text.strip()):
        segment = segment.strip()
        if not segment:
            raise SubscriptionError(
                f"filter {text!r} has an empty part", hint="remove the extra comma"
            )
        column, eq, rest = segment.partition("=")
        negate = rest.startswith("not.")
        op, dot, value = rest.removeprefix("not.").partition(".")
        if not eq or not dot or op not in OPERATORS:
            raise SubscriptionError(
                f"filter {segment!r} is not column=operator.value",
                hint=f"for example user_id=eq.<uuid>; operators: {', '.join(OPERATORS)}",
            )
        if op == "in":
            if not (value.startswith("(") and value.endswith(")")):
                raise SubscriptionError(
                    f"filter {segment!r}: an in list goes in parentheses", hint="in.(a,b,c)"
                )
            value = "{" + value[1:-1] + "}"
        else:
            value = _unquote(value)
        if op == "is" and value not in IS_KEYWORDS:
            raise SubscriptionError(
                f"filter {segment!r}: is takes {', '.join(IS_KEYWORDS)}", hint="is.null"
            )
        filters.append(Filter(column, op, value, negate))
    return tuple(filters)


@dataclass(frozen=True, eq=False)
class Subscription:
    """One ``postgres_changes`` binding of one client; compared by identity."""

    table: str  # "schema.table"; a bare name means public
    claims: Mapping[str, Any] = field(default_factory=lambda: dict(claims_for(None)))
    event: str = "*"
    filter: str = ""
    label: str = ""
    filters: tuple[Filter, ...] = field(init=False)

    def __post_init__(self) -> None:
        if "." not in self.table:
            object.__setattr__(self, "table", f"public.{self.table}")
        event = self.event.upper()
        if event not in EVENTS:
            raise SubscriptionError(
                f"unknown event {self.event!r}", hint=f"use one of {', '.join(EVENTS)}"
            )
        object.__setattr__(self, "event", event)
        object.__setattr__(self, "filters", parse_filters(self.filter))

    @property
    def role(self) -> str:
        """The database role Realtime switches to: the claims' ``role``."""
        return str(self.claims.get("role") or "anon")

    @property
    def claims_json(self) -> str:
        return json.dumps(dict(self.claims), sort_keys=True)

    def listens_to(self, action: str) -> bool:
        return self.event in ("*", action)

    def __str__(self) -> str:
        who = self.claims.get("sub") or self.role
        where = f" {self.filter}" if self.filter else ""
        return self.label or f"{self.table}{where} {self.event} as {who}"
