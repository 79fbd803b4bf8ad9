"""nearby_vendors, broadcast_event, create_order and the policy helpers."""

from __future__ import annotations

import json
import math
import threading
from uuid import UUID

import psycopg
import pytest

from tests.conftest import acting_as, as_superuser, become, query, scalar, wait_for_a_lock_wait
from zora_db.seed import VENDORS, seed_id
from zora_db.throwaway import Throwaway

ADMIN = seed_id("user:admin")
ALICE = seed_id("user:alice")
CAMDEN_OWNER = seed_id("user:camden-bakery")
CAMDEN = seed_id("vendor:camden-bakery")
KINGS_CROSS = (51.5308, -0.1238)


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lng1), (lat2, lng2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _nearby(url: str, lat: float, lng: float, radius: float, limit: int) -> list[tuple[str, float]]:
    rows = query(
        url,
        "select shop_name, distance_km from public.nearby_vendors("
        "lat => %s, lng => %s, radius_km => %s, max_results => %s)",
        [lat, lng, radius, limit],
    )
    return [(str(name), float(d)) for name, d in rows]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- nearby_vendors


def test_nearby_vendors_nearest_first_with_true_distances(seeded_db_url: str) -> None:
    found = _nearby(seeded_db_url, *KINGS_CROSS, 20, 10)
    expected = sorted(
        (
            (v.shop_name, _haversine_km(KINGS_CROSS, (v.latitude, v.longitude)))
            for v in VENDORS
            if v.verified
        ),
        key=lambda pair: pair[1],
    )
    assert [n for n, _ in found] == [n for n, _ in expected]
    for (_, got), (_, want) in zip(found, expected, strict=True):
        assert got == pytest.approx(want, abs=0.001)


def test_nearby_vendors_respects_radius_and_limit(seeded_db_url: str) -> None:
    assert [n for n, _ in _nearby(seeded_db_url, *KINGS_CROSS, 2, 10)] == ["Camden Bakery"]
    assert [n for n, _ in _nearby(seeded_db_url, *KINGS_CROSS, 20, 2)] == [
        "Camden Bakery",
        "Shoreditch Grocer",
    ]
    assert _nearby(seeded_db_url, 55.9533, -3.1883, 50, 10) == []  # Edinburgh


def test_unverified_and_inactive_vendors_are_not_found(seeded_db_url: str) -> None:
    pantry = next(v for v in VENDORS if not v.verified)
    names = [n for n, _ in _nearby(seeded_db_url, pantry.latitude, pantry.longitude, 50, 50)]
    assert "Pending Pantry" not in names and len(names) == 3
    query(seeded_db_url, "update public.vendors set is_active = false where id = %s", [CAMDEN])
    names = [n for n, _ in _nearby(seeded_db_url, pantry.latitude, pantry.longitude, 50, 50)]
    assert "Camden Bakery" not in names


def test_nearby_vendors_works_across_the_antimeridian(seeded_db_url: str) -> None:
    query(
        seeded_db_url,
        "update public.vendors set latitude = -16.5, longitude = 179.99 where id = %s",
        [CAMDEN],
    )
    found = _nearby(seeded_db_url, -16.5, -179.99, 10, 5)
    assert [n for n, _ in found] == ["Camden Bakery"]
    assert found[0][1] == pytest.approx(_haversine_km((-16.5, 179.99), (-16.5, -179.99)), abs=1e-3)


@pytest.mark.parametrize(
    "args",
    [
        (91, 0, 5, 5),
        (0, 181, 5, 5),
        (51.5, -0.1, 0, 5),
        (51.5, -0.1, 501, 5),
        (51.5, -0.1, 5, 0),
        (51.5, -0.1, 5, 101),
        (None, -0.1, 5, 5),
    ],
)
def test_nearby_vendors_rejects_bad_arguments(seeded_db_url: str, args: tuple[object, ...]) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        query(seeded_db_url, "select * from public.nearby_vendors(%s, %s, %s, %s)", list(args))


@pytest.mark.parametrize("role", ["postgres", "anon", "authenticated"])
def test_nearby_vendors_uses_the_location_index(
    server: Throwaway, seeded_db_url: str, role: str
) -> None:
    # auto_explain reports the plan of the query inside the function to the client
    # (only a superuser may load it). Under row level security too: the policy
    # must not keep the index out.
    plans: list[str] = []
    with psycopg.connect(as_superuser(server, seeded_db_url), autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))
        conn.execute("set enable_seqscan = off")  # 4 rows: make the choice visible
        conn.execute("load 'auto_explain'")
        conn.execute("set auto_explain.log_min_duration = 0")
        conn.execute("set auto_explain.log_nested_statements = on")
        conn.execute("set auto_explain.log_level = notice")
        with conn.transaction():
            become(conn, None, role)
            conn.execute("select * from public.nearby_vendors(51.53, -0.12, 10, 5)").fetchall()
    inner = [p for p in plans if "from public.vendors v" in p]
    assert inner and "vendors_location_idx" in inner[0]


def test_anyone_may_search(seeded_db_url: str) -> None:
    with acting_as(seeded_db_url, None, role="anon") as conn:
        rows = conn.execute("select shop_name from public.nearby_vendors(51.53, -0.12)").fetchall()
    assert len(rows) == 3


# --------------------------------------------------------------------------- broadcast_event


def _broadcast(url: str, user: UUID | None, role: str) -> list[tuple[object, ...]]:
    """Broadcast as ``user``; what realtime.messages then holds for Realtime to send."""
    with acting_as(url, user, role=role) as conn:
        conn.execute(
            "select public.broadcast_event('platform-announcements', 'announcement', "
            '\'{"message": "Free delivery today"}\')'
        )
    return query(
        url,
        "select topic, extension, event, payload - 'id', private, payload ->> 'id' = id::text"
        " from realtime.messages",
    )


@pytest.mark.parametrize(("user", "role"), [(ADMIN, "authenticated"), (None, "service_role")])
def test_admins_and_the_service_role_broadcast_on_a_private_channel(
    seeded_db_url: str, user: UUID | None, role: str
) -> None:
    assert _broadcast(seeded_db_url, user, role) == [
        (
            "platform-announcements",
            "broadcast",
            "announcement",
            {"message": "Free delivery today"},
            True,
            True,  # as on Supabase, the payload carries the message's id
        )
    ]


@pytest.mark.parametrize(
    ("user", "role"), [(ALICE, "authenticated"), (CAMDEN_OWNER, "authenticated"), (None, "anon")]
)
def test_nobody_else_broadcasts(seeded_db_url: str, user: UUID | None, role: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _broadcast(seeded_db_url, user, role)


def test_nobody_else_can_forge_one_through_realtime_send(seeded_db_url: str) -> None:
    # As on Supabase, realtime.send turns the refusal into a WARNING: nothing is sent.
    warnings: list[str] = []
    with acting_as(seeded_db_url, ALICE) as conn:
        conn.add_notice_handler(
            lambda diag: warnings.append(f"{diag.severity_nonlocalized}: {diag.message_primary}")
        )
        conn.execute(
            "select realtime.send('{\"message\": \"forged\"}', 'announcement', "
            "'platform-announcements', true)"
        )
    assert query(seeded_db_url, "select count(*) from realtime.messages") == [(0,)]
    assert len(warnings) == 1 and warnings[0].startswith(
        "WARNING: ErrorSendingBroadcastMessage: new row violates row-level security policy"
    ), warnings


def test_broadcast_validates_the_channel(seeded_db_url: str) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        query(seeded_db_url, "select public.broadcast_event('bad channel!', 'e', '{}')")


def test_a_search_path_trick_cannot_hijack_broadcast(seeded_db_url: str) -> None:
    # broadcast_event checks the channel with `!~`; an operator of that name in a
    # schema the caller puts before pg_catalog would run instead, unless the
    # function pins its search_path.
    query(
        seeded_db_url,
        """
        create schema evil;
        create function evil.hijacked(text, text) returns boolean language sql
          as $$ select 1 / 0 = 1 $$;
        create operator evil.!~ (leftarg = text, rightarg = text, function = evil.hijacked);
        grant usage on schema evil to authenticated;
        """,
    )
    hostile = "set local search_path = evil, pg_catalog, public"
    with acting_as(seeded_db_url, ADMIN) as conn:
        conn.execute(hostile)
        conn.execute("select public.broadcast_event('safe', 'e', '{}')")
    # The same body without its pinned search_path is hijacked: the plant bites.
    definition = scalar(
        seeded_db_url, "select pg_get_functiondef('public.broadcast_event'::regproc)"
    )
    assert isinstance(definition, str) and " SET search_path TO ''" in definition
    query(
        seeded_db_url,
        definition.replace(" SET search_path TO ''\n", "").replace(
            "public.broadcast_event(", "public.broadcast_unpinned(", 1
        ),
    )
    query(seeded_db_url, "grant execute on function public.broadcast_unpinned to authenticated")
    with acting_as(seeded_db_url, ADMIN) as conn:
        conn.execute(hostile)
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute("select public.broadcast_unpinned('safe', 'e', '{}')")


# ------------------------------------------------------------------ create_order and helpers


def test_create_order_runs_as_the_caller(seeded_db_url: str) -> None:
    sourdough = seed_id("product:camden-bakery:Sourdough loaf")
    with acting_as(seeded_db_url, ALICE) as conn:
        row = conn.execute(
            "select user_id, status::text, total from public.create_order("
            "vendor_id => %s, items => %s::jsonb, notes => 'no nuts')",
            [CAMDEN, json.dumps([{"product_id": str(sourdough), "quantity": 2}])],
        ).fetchone()
    assert row is not None
    assert (row[0], row[1], str(row[2])) == (ALICE, "pending", "11.50")


def test_anon_cannot_create_orders(seeded_db_url: str) -> None:
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        acting_as(seeded_db_url, None, role="anon") as conn,
    ):
        conn.execute("select public.create_order(%s, '[]'::jsonb)", [CAMDEN])


@pytest.mark.parametrize(
    ("user", "admin", "vendor"),
    [
        (ADMIN, True, None),
        (CAMDEN_OWNER, False, CAMDEN),
        (ALICE, False, None),
        (None, False, None),
    ],
)
def test_policy_helpers(
    seeded_db_url: str, user: UUID | None, admin: bool, vendor: UUID | None
) -> None:
    with acting_as(seeded_db_url, user) as conn:
        row = conn.execute("select private.is_admin(), private.current_vendor_id()").fetchone()
    assert row == (admin, vendor)


def test_helpers_are_not_executable_by_public(seeded_db_url: str) -> None:
    assert (
        scalar(
            seeded_db_url,
            "select has_function_privilege('public', 'private.is_admin()', 'execute')",
        )
        is False
    )


def test_two_replays_racing_each_other_place_one_order(seeded_db_url: str) -> None:
    key = "0b5e8f2a-3c4d-4e6f-8a9b-1c2d3e4f5a6b"
    call = (
        "select id from public.create_order(%s, %s::jsonb, idempotency_key => %s)",
        [
            seed_id("vendor:camden-bakery"),
            json.dumps([{"product_id": str(seed_id("product:camden-bakery:Cinnamon bun"))}]),
            key,
        ],
    )
    first, second = psycopg.connect(seeded_db_url), psycopg.connect(seeded_db_url)
    placed: list[object] = []
    try:
        for conn in (first, second):
            become(conn, ALICE)
        placed.append(first.execute(*call).fetchone())
        racer = threading.Thread(target=lambda: placed.append(second.execute(*call).fetchone()))
        racer.start()
        wait_for_a_lock_wait(seeded_db_url)  # the replay waits for the first call
        first.commit()
        racer.join(timeout=10)
        second.commit()
    finally:
        first.close()
        second.close()
    assert placed[0] == placed[1]
    assert query(
        seeded_db_url, "select count(*) from public.orders where idempotency_key = %s", [key]
    ) == [(1,)]
