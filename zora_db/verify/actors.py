"""The people of the demo data set (act as one with ``zora_db.acting``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from zora_db.acting import claims_for
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
        """The JWT claims Supabase Auth issues this person."""
        return claims_for(self.uid)

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
