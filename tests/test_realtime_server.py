"""The local Realtime frame by frame: what supabase-js does not show (refs, bytes, refusals).

Each test talks to ``zora_db.api.server`` over a raw websocket (aiohttp's
client) and asserts on the exact frames, as Realtime 2.129 sends them:
``facts/realtime-protocol.md`` has the source of each rule.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import query
from tests.test_api import Api, authenticator, node_modules, serve_api  # noqa: F401
from zora_db.seed import seed_id
from zora_db.tokens import mint, user_claims

ALICE = seed_id("user:alice")
ADMIN = seed_id("user:admin")
WAIT_S = 10.0


@pytest.fixture
def api(seeded_db_url: str, authenticator: str, node_modules: Path) -> Iterator[Api]:  # noqa: F811
    with serve_api(seeded_db_url, authenticator) as served:
        yield served


class Client:
    """One raw socket: frames out as ``vsn`` writes them, frames in decoded, kept in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, vsn: str) -> None:
        self.ws, self.vsn = ws, vsn
        self.received: list[Any] = []
        self._ref = 0

    def _next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def push(self, topic: str, event: str, payload: Any, join_ref: str | None = None) -> str:
        ref = self._next_ref()
        if self.vsn == "2.0.0":
            await self.ws.send_str(json.dumps([join_ref, ref, topic, event, payload]))
        else:
            message = {"topic": topic, "event": event, "payload": payload, "ref": ref}
            await self.ws.send_str(json.dumps({**message, "join_ref": join_ref}))
        return ref

    async def join(self, topic: str, config: dict[str, Any], token: str | None = None) -> Any:
        payload: dict[str, Any] = {"config": config}
        if token:
            payload["access_token"] = token
        ref = await self.push(topic, "phx_join", payload, join_ref=str(self._ref + 1))
        return await self.reply(ref)

    async def next(self, match: Callable[[Any], bool], what: str) -> Any:
        deadline = time.monotonic() + WAIT_S
        for seen in self.received:
            if match(seen):
                return seen
        while time.monotonic() < deadline:
            try:
                message = await self.ws.receive(timeout=deadline - time.monotonic())
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.BINARY:
                item: Any = bytes(message.data)
            elif message.type == aiohttp.WSMsgType.TEXT:
                item = json.loads(message.data)
            else:
                break
            self.received.append(item)
            if match(item):
                return item
        raise AssertionError(f"no {what}; received {self.received}")

    async def reply(self, ref: str) -> Any:
        return await self.next(lambda m: self.field(m, "ref") == ref, f"reply to {ref}")

    def field(self, message: Any, name: str) -> Any:
        if isinstance(message, bytes):
            return None
        if self.vsn == "2.0.0":
            return message[["join_ref", "ref", "topic", "event", "payload"].index(name)]
        return message.get(name)

    def events(self, event: str) -> list[Any]:
        return [m for m in self.received if self.field(m, "event") == event]


@asynccontextmanager
async def socket(api: Api, vsn: str = "2.0.0", key: str | None = None) -> AsyncIterator[Client]:
    url = f"{api.url.replace('http', 'ws')}/realtime/v1/websocket"
    params = {"apikey": key or api.keys.anon, "vsn": vsn}
    async with aiohttp.ClientSession() as session, session.ws_connect(url, params=params) as ws:
        yield Client(ws, vsn)


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- connecting


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (None, "API key is missing"),
        ("not-a-jwt", "The token provided is not a valid JWT"),
        ("expired", "Token has expired"),
        ("forged", "Failed to validate JWT signature"),
        ("roleless", "Fields `role` and `exp` are required in JWT"),
    ],
)
def test_a_bad_apikey_refuses_the_upgrade_with_401(api: Api, key: str | None, words: str) -> None:
    keys = {
        "expired": mint(api.keys.secret, {"role": "anon"}, lifetime_s=-10),
        "forged": mint("another-secret-another-secret-another", {"role": "anon"}),
        "roleless": mint(api.keys.secret, {"sub": "x"}),
    }
    params = {"vsn": "2.0.0"} | ({"apikey": keys.get(key, key)} if key else {})

    async def attempt() -> None:
        async with aiohttp.ClientSession() as session:
            url = f"{api.url}/realtime/v1/websocket"
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(url, params=params)
            assert refused.value.status == 401
            async with session.get(url, params=params) as answer:
                assert answer.status == 401 and await answer.json() == {"error": words}

    run(attempt)


def test_an_unknown_vsn_is_refused_and_paths_off_the_api_are_404(api: Api) -> None:
    async def attempt() -> None:
        async with aiohttp.ClientSession() as session:
            url = f"{api.url}/realtime/v1/websocket"
            async with session.get(url, params={"vsn": "3.0.0", "apikey": api.keys.anon}) as a:
                assert a.status == 400 and "vsn 3.0.0" in (await a.json())["error"]
            async with session.get(f"{api.url}/orders") as answer:
                assert answer.status == 404

    run(attempt)


# --------------------------------------------------------------------------- frames


@pytest.mark.parametrize("vsn", ["1.0.0", "2.0.0"])
def test_join_reply_system_message_and_a_change_frame_by_frame(api: Api, vsn: str) -> None:
    token = api.keys.user(ALICE)
    bindings = [
        {"event": "UPDATE", "schema": "public", "table": "orders", "filter": f"user_id=eq.{ALICE}"},
        {"event": "*", "schema": "public", "table": "orders"},
    ]

    async def attempt() -> None:
        async with socket(api, vsn) as client:
            heartbeat = await client.push("phoenix", "heartbeat", {})
            beat = await client.reply(heartbeat)
            assert client.field(beat, "payload") == {"status": "ok", "response": {}}
            reply = await client.join("realtime:orders", {"postgres_changes": bindings}, token)
            listed = client.field(reply, "payload")["response"]["postgres_changes"]
            assert [{k: v for k, v in b.items() if k != "id"} for b in listed] == bindings
            assert all(isinstance(b["id"], int) for b in listed)
            assert listed[0]["id"] != listed[1]["id"]
            if vsn == "1.0.0":
                assert "join_ref" not in reply  # 1.0.0's server frames carry none
            system = await client.next(
                lambda m: client.field(m, "event") == "system", "the system message"
            )
            assert client.field(system, "payload") == {
                "extension": "postgres_changes",
                "status": "ok",
                "message": "Subscribed to PostgreSQL",
                "channel": "orders",
            }
            assert client.received.index(system) > client.received.index(reply)
            query(
                api.db_url,
                "update public.orders set notes = 'ring twice' where user_id = %s",
                [ALICE],
            )
            change = await client.next(
                lambda m: client.field(m, "event") == "postgres_changes", "the change"
            )
            assert client.field(change, "ref") is None
            payload = client.field(change, "payload")
            assert sorted(payload["ids"]) == sorted(b["id"] for b in listed)
            data = payload["data"]
            assert data["type"] == "UPDATE" and data["record"]["notes"] == "ring twice"
            assert {"name": "total", "type": "numeric"} in data["columns"]
            assert "old_record" in data and data["errors"] is None

    run(attempt)


def test_a_binary_broadcast_goes_out_binary_to_20_and_as_json_to_10(api: Api) -> None:
    topic, event = b"realtime:room:42", b"cursor"

    def push(join_ref: bytes, ref: bytes, payload: bytes, encoding: int) -> bytes:
        header = struct.pack("!7B", 3, len(join_ref), len(ref), len(topic), len(event), 0, encoding)
        return header + join_ref + ref + topic + event + payload

    async def attempt() -> None:
        async with socket(api) as sender, socket(api) as binary, socket(api, "1.0.0") as text:
            for client in (sender, binary, text):
                await client.join("realtime:room:42", {"broadcast": {"self": False}})
            await sender.ws.send_bytes(push(b"1", b"9", b'{"x":1}', 1))
            frame = await binary.next(lambda m: isinstance(m, bytes), "a kind-4 frame")
            assert frame == bytes([4, len(topic), len(event), 0, 1]) + topic + event + b'{"x":1}'
            got = await text.next(lambda m: m.get("event") == "broadcast", "the JSON broadcast")
            assert got["payload"] == {"type": "broadcast", "event": "cursor", "payload": {"x": 1}}
            await sender.ws.send_bytes(push(b"1", b"10", b"\x00\xff", 0))  # raw bytes
            await binary.next(lambda m: isinstance(m, bytes) and m.endswith(b"\x00\xff"), "bytes")
            await sender.ws.send_bytes(push(b"1", b"11", b'{"x":2}', 1))
            await text.next(lambda m: m["payload"].get("payload") == {"x": 2}, "the next one")
            assert len(text.events("broadcast")) == 2  # the raw bytes cannot reach vsn 1.0.0
            assert sender.events("broadcast") == []  # self: false

    run(attempt)


def test_pushes_to_a_topic_not_joined_and_replays_are_refused(api: Api) -> None:
    async def attempt() -> None:
        async with socket(api) as client:
            ref = await client.push("realtime:nowhere", "broadcast", {"event": "x"})
            answer = client.field(await client.reply(ref), "payload")
            assert answer == {"status": "error", "response": {"reason": "unmatched topic"}}
            reply = await client.join("realtime:", {})
            assert client.field(reply, "payload")["response"] == {
                "reason": "TopicNameRequired: You must provide a topic name"
            }
            public = await client.join("realtime:r", {"broadcast": {"replay": {"since": 0}}})
            assert client.field(public, "payload")["response"]["reason"].endswith(
                "Replay is not allowed for public channels"
            )

    run(attempt)


# --------------------------------------------------------------------------- presence


def test_presence_updates_carry_the_previous_ref_and_the_limit_closes_the_channel(
    api: Api,
) -> None:
    async def attempt() -> None:
        async with socket(api) as one, socket(api) as other:
            config = {"presence": {"enabled": True, "key": "k1"}}
            await one.join("realtime:lobby", config)
            await other.join("realtime:lobby", {"presence": {"enabled": True, "key": "k2"}})

            async def track(payload: Any) -> Any:
                ref = await one.push("realtime:lobby", "presence",
                                     {"type": "presence", "event": "TRACK", "payload": payload},
                                     join_ref="1")  # fmt: skip
                return one.field(await one.reply(ref), "payload")

            assert await track({"status": "in"}) == {"status": "ok", "response": {}}
            await other.next(lambda m: other.field(m, "event") == "presence_diff", "a join")
            assert await track({"status": "in"}) == {"status": "ok", "response": {}}  # no-op
            await track({"status": "away"})
            update = await other.next(
                lambda m: (
                    other.field(m, "event") == "presence_diff"
                    and other.field(m, "payload")["leaves"]
                ),
                "the update",
            )
            diff = other.field(update, "payload")
            joined = diff["joins"]["k1"]["metas"][0]
            assert joined["status"] == "away"
            assert joined["phx_ref_prev"] == diff["leaves"]["k1"]["metas"][0]["phx_ref"]
            assert len(other.events("presence_diff")) == 2  # the identical re-track sent none
            assert await track("not a map") == {
                "status": "error",
                "response": {"reason": "Presence track payload must be a map"},
            }
            await track({"status": "in"})  # the fifth call in 30 s: the last allowed
            await one.push("realtime:lobby", "presence",
                           {"type": "presence", "event": "untrack"}, join_ref="1")  # fmt: skip
            closing = await one.next(lambda m: one.field(m, "event") == "system", "the shutdown")
            assert one.field(closing, "payload")["message"] == "Client presence rate limit exceeded"
            await one.next(lambda m: one.field(m, "event") == "phx_close", "phx_close")
            leave = await other.next(
                lambda m: (
                    other.field(m, "event") == "presence_diff"
                    and "k1" in other.field(m, "payload")["leaves"]
                    and not other.field(m, "payload")["joins"]
                ),
                "the leave once the channel closed",
            )
            assert leave

    run(attempt)


# --------------------------------------------------------------------------- tokens


def test_a_new_token_that_loses_read_access_closes_the_private_channel(api: Api) -> None:
    async def attempt() -> None:
        async with socket(api) as client:
            reply = await client.join(
                "realtime:admin-dashboard", {"private": True}, api.keys.user(ADMIN)
            )
            assert client.field(reply, "payload")["status"] == "ok"
            await client.push(
                "realtime:admin-dashboard", "access_token",
                {"access_token": api.keys.user(ALICE)}, join_ref="1",
            )  # fmt: skip
            closing = await client.next(lambda m: client.field(m, "event") == "system", "system")
            assert client.field(closing, "payload") == {
                "extension": "system",
                "status": "error",
                "message": "You no longer have permission to read from this Channel topic: "
                "admin-dashboard",
                "channel": "admin-dashboard",
            }
            await client.next(lambda m: client.field(m, "event") == "phx_close", "phx_close")
            # access_token pushes get no reply: the only reply is the join's
            assert len(client.events("phx_reply")) == 1

    run(attempt)


def test_an_expired_token_on_refresh_closes_the_channel(api: Api) -> None:
    expired = mint(api.keys.secret, user_claims(ALICE), lifetime_s=-5)

    async def attempt() -> None:
        async with socket(api, "1.0.0") as client:
            await client.join("realtime:lobby", {}, api.keys.user(ALICE))
            await client.push("realtime:lobby", "access_token", {"access_token": expired})
            closing = await client.next(lambda m: m["event"] == "system", "system")
            assert closing["payload"]["message"].startswith("Token has expired ")
            await client.next(lambda m: m["event"] == "phx_close", "phx_close")
            ref = await client.push("realtime:lobby", "broadcast", {"event": "x"})
            assert (await client.reply(ref))["payload"]["response"]["reason"] == "unmatched topic"

    run(attempt)


# --------------------------------------------------------------------------- REST broadcast


def test_rest_broadcast_public_private_and_refused(api: Api) -> None:
    async def attempt() -> None:
        async with socket(api) as member, aiohttp.ClientSession() as http:
            await member.join(
                "realtime:platform-announcements", {"private": True}, api.keys.user(ALICE)
            )
            url = f"{api.url}/realtime/v1/api/broadcast"

            async def post(token: str | None, body: Any) -> int:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                async with http.post(url, json=body, headers=headers) as answer:
                    return answer.status

            def message(text: str) -> dict[str, Any]:
                return {"topic": "platform-announcements", "event": "notice",
                        "payload": {"text": text}, "private": True}  # fmt: skip

            assert await post(None, {"messages": [message("x")]}) == 401
            assert await post(api.keys.anon, {"messages": "nope"}) == 422
            assert await post(api.keys.user(ALICE), {"messages": [message("forged")]}) == 202
            admin = {**message("real"), "id": "5c0ffee0-0000-4000-8000-000000000001"}
            assert await post(api.keys.user(ADMIN), {"messages": [admin]}) == 202
            got = await member.next(
                lambda m: isinstance(m, list) and m[3] == "broadcast", "the admin's message"
            )
            assert got[4]["payload"] == {"text": "real"}
            assert got[4]["meta"] == {"id": admin["id"]}
            assert len(member.events("broadcast")) == 1  # Alice's was dropped, with a 202

    run(attempt)


def test_a_subscription_realtime_refuses_gets_the_system_error(api: Api) -> None:
    async def attempt() -> None:
        async with socket(api) as client:
            binding = {"event": "INSERT", "schema": "public", "table": "no_such_table"}
            reply = await client.join("realtime:x", {"postgres_changes": [binding]})
            assert client.field(reply, "payload")["status"] == "ok"
            system = await client.next(lambda m: client.field(m, "event") == "system", "system")
            payload = client.field(system, "payload")
            assert payload["status"] == "error" and payload["extension"] == "postgres_changes"
            assert payload["message"].startswith(
                "Unable to subscribe to changes with given parameters."
            )

    run(attempt)
