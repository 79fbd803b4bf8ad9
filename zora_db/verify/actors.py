"""The people of the demo data set, and acting as one of them the way PostgREST does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from zora_db.seed import seed_id


@dataclass(frozen=True)
class Actor:
    key: str
    kind: str  # "anon", "customer", "vendor", "admin"
    uid: UUID | None
    shop: UUID | None = None  # a vendor's shop

    @property
    def role(self) -> str:
        return "anon" if self.uid is None else "authenticated"

    @property
    def claims(self) -> dict[str, Any]:
        """The JWT claims PostgREST would set for this person."""
        return {"sub": str(self.uid), "role": self.role} if self.uid else {"role": "anon"}

    @property
    def params(self) -> dict[str, Any]:
        """Placeholders the matrix's SQL uses: who I am, and someone I am not."""
        other = BOB if self.key == "alice" else ALICE
        other_shop = SHOREDITCH if self.key == "camden" else CAMDEN
        return {
            "uid": self.uid,
            "shop": self.shop,
            "other": other.uid,
            "other_shop": other_shop.shop,
        }


def _vendor(key: str, seed_key: str) -> Actor:
    return Actor(key, "vendor", seed_id(f"user:{seed_key}"), seed_id(f"vendor:{seed_key}"))


ANON = Actor("anon", "anon", None)
ALICE = Actor("alice", "customer", seed_id("user:alice"))
BOB = Actor("bob", "customer", seed_id("user:bob"))
CAMDEN = _vendor("camden", "camden-bakery")
SHOREDITCH = _vendor("shoreditch", "shoreditch-grocer")
ADMIN = Actor("admin", "admin", seed_id("user:admin"))
ACTORS = (ANON, ALICE, BOB, CAMDEN, SHOREDITCH, ADMIN)


@contextmanager
def acting_as(conn: psycopg.Connection[Any], actor: Actor) -> Iterator[None]:
    """Within the current transaction: become ``actor`` (role and JWT claims), then back."""
    conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(actor.claims)])
    conn.execute(sql.SQL("set local role {}").format(sql.Identifier(actor.role)))
    try:
        yield
    finally:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            conn.execute("reset role")
            conn.execute("select set_config('request.jwt.claims', '', true)")
