"""The attacks of zora_db.verify.attacks come to nothing, and each check can fail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import SEEDED_TEMPLATE, database_name
from zora_db.throwaway import Throwaway
from zora_db.verify.attacks import ATTACKS
from zora_db.verify.matrix import facts
from zora_db.verify.probes import Probe, ProbeFailed, run_probe
from zora_db.verify.triggers import TRIGGER_CHECKS

Seeded = tuple[psycopg.Connection[Any], dict[str, Any]]


@pytest.fixture(scope="module")
def seeded(server: Throwaway) -> Iterator[Seeded]:
    """One seeded database for the module: every check rolls back what it does."""
    url = server.create_database(template=SEEDED_TEMPLATE)
    with psycopg.connect(url) as conn:
        yield conn, facts(conn)
        conn.rollback()
    server.drop_database(database_name(url))


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_fails(attack: Probe, seeded: Seeded) -> None:
    conn, known = seeded
    run_probe(conn, attack, known)


def _attack(name: str) -> Probe:
    return next(a for a in ATTACKS if a.name == name)


# Each attack check must notice when the protection it tests is gone.
WEAKENED = [
    pytest.param(
        "alter table public.order_items disable row level security",
        "read orders through items",
        id="items-without-rls",
    ),
    pytest.param(
        "alter policy orders_select on public.orders using (true)",
        "read orders through a join",
        id="orders-readable",
    ),
    pytest.param(
        "alter policy profiles_select on public.profiles using (true);"
        "alter policy profiles_update on public.profiles using (true) with check (true)",
        "update another user's row with returning",
        id="profiles-writable",
    ),
    pytest.param(
        "grant update (subtotal) on public.orders to authenticated",
        "forge an order total",
        id="subtotal-writable",
    ),
    pytest.param(
        "drop trigger admin_only_columns on public.profiles",
        "raise one's own role",
        id="no-role-guard",
    ),
    pytest.param(
        "alter policy products_update on public.products using (true) with check (true)",
        "edit another vendor's product",
        id="products-writable",
    ),
    pytest.param(
        "drop trigger vendor_moves_status_only on public.orders",
        "edit another vendor's order",
        id="vendor-edits-notes",
    ),
    pytest.param(
        "drop trigger admin_only_columns on public.vendors",
        "verify one's own shop",
        id="no-verification-guard",
    ),
    pytest.param(
        "alter policy notifications_insert on public.notifications with check (true)",
        "notify someone else",
        id="notifications-open",
    ),
    pytest.param(
        "drop trigger check_review on public.reviews",
        "review without a delivered order",
        id="no-review-rule",
    ),
    pytest.param(
        "create or replace function public.broadcast_event(channel text, event text, "
        "payload jsonb) returns void language sql set search_path = '' as 'select'",
        "broadcast as a customer",
        id="broadcast-unchecked",
    ),
    pytest.param(
        "alter function private.is_admin() reset search_path;"
        "create or replace function private.is_admin() returns boolean language sql stable "
        "security definer as "
        "'select exists (select from profiles p where p.id = auth.uid() and p.role = ''admin'')'",
        "hijack a SECURITY DEFINER function",
        id="definer-mutable-search-path",
    ),
    pytest.param(
        "alter policy orders_update on public.orders using (user_id = (select auth.uid())) "
        "with check (user_id = (select auth.uid()))",
        "set one's own order status",
        id="customer-sets-status",
    ),
    pytest.param(
        "grant select on public.orders to anon",
        "read private tables as anon",
        id="anon-reads-orders",
    ),
]


@pytest.mark.parametrize(("weakening", "attack"), WEAKENED)
def test_the_attack_check_catches_a_weakened_schema(
    seeded: Seeded, weakening: str, attack: str
) -> None:
    conn, known = seeded
    with conn.transaction(force_rollback=True):
        conn.execute(weakening)
        with pytest.raises(ProbeFailed):
            run_probe(conn, _attack(attack), known)


def test_every_attack_has_a_weakening() -> None:
    assert {p.values[1] for p in WEAKENED} == {a.name for a in ATTACKS}


# --------------------------------------------------------------------------- trigger checks


@pytest.mark.parametrize("check", TRIGGER_CHECKS, ids=lambda c: c.name)
def test_trigger_check_passes(check: Probe, seeded: Seeded) -> None:
    conn, known = seeded
    run_probe(conn, check, known)


BROKEN_TRIGGERS = [
    pytest.param("drop trigger set_updated_at on public.payments", "updated_at on every table"),
    pytest.param(
        "alter table public.orders disable trigger announce_new_order",
        "new order priced and announced",
    ),
    pytest.param(
        "alter table public.orders disable trigger record_order_status_change",
        "status change recorded and told",
    ),
    pytest.param(
        "alter table public.order_items disable trigger order_items_deleted",
        "subtotal follows items",
    ),
    pytest.param(
        "alter table public.reviews disable trigger apply_review_rating", "reviews keep ratings"
    ),
    pytest.param(
        "alter table public.messages disable trigger deliver_message",
        "messages notify the other side",
    ),
    pytest.param(
        "alter table auth.users disable trigger on_auth_user_created",
        "new users get a customer profile",
    ),
]


@pytest.mark.parametrize(("breakage", "name"), BROKEN_TRIGGERS)
def test_the_trigger_check_catches_a_broken_trigger(
    seeded: Seeded, breakage: str, name: str
) -> None:
    conn, known = seeded
    check = next(c for c in TRIGGER_CHECKS if c.name == name)
    with conn.transaction(force_rollback=True):
        conn.execute(breakage)
        with pytest.raises(ProbeFailed):
            run_probe(conn, check, known)
