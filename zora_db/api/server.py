"""The local project URL: ``/rest/v1`` (PostgREST) and ``/realtime/v1`` (Realtime), one port.

What Supabase's gateway puts in front of a project, on one aiohttp server
and one event loop:

* ``/rest/v1/*`` forwarded to PostgREST unchanged (PostgREST cannot serve
  under a prefix; headers, bodies, status codes and CORS are its own);
* ``/realtime/v1/websocket``: Realtime's Phoenix socket, vsn 1.0.0 and 2.0.0
  (``zora_db.realtime.hub`` serves the channels);
* ``/realtime/v1/api/broadcast`` and ``/realtime/v1/api/broadcast/{topic}/
  events/{event}``: Realtime's REST broadcast.

Run as ``python -m zora_db.api.server``; ``ZORA_API_PORT``,
``ZORA_API_POSTGREST``, ``ZORA_API_DB_URL`` (the role Realtime connects as:
it creates a replication slot and acts as each user) and
``ZORA_API_JWT_SECRET`` configure it, so that no secret is on a command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from zora_db.realtime.authorization import Authorizer, Policies
from zora_db.realtime.feed import ChangeFeed
from zora_db.realtime.hub import Hub, Session
from zora_db.realtime.phoenix import VERSIONS, VSN_1, Frame, FrameError, decode, encode
from zora_db.tokens import TokenRefused, verify

REST_PREFIX = "/rest/v1"
MAX_FRAME_BYTES = 5_000_000  # Realtime's max_frame_size
# Request bodies go to PostgREST whole; the bound is ours (the database refuses far less).
MAX_BODY_BYTES = 100 * 1024 * 1024
# Headers about one connection, not the request (RFC 9110 section 7.6.1).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    postgrest_url: str
    db_url: str
    jwt_secret: str
    changes: bool = True  # postgres_changes through the engine (needs logical decoding)


HUB = web.AppKey("hub", Hub)
HTTP = web.AppKey("http", aiohttp.ClientSession)
SETTINGS = web.AppKey("settings", Settings)


def application(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_services)
    app.router.add_route("*", REST_PREFIX + "{tail:(/.*)?}", rest)
    app.router.add_get("/realtime/v1/websocket", websocket)
    app.router.add_post("/realtime/v1/api/broadcast", broadcast_batch)
    app.router.add_post("/realtime/v1/api/broadcast/{topic}/events/{event}", broadcast_one)
    return app


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    loop = asyncio.get_running_loop()
    authorizer = Authorizer(settings.db_url)
    hub = Hub(settings.jwt_secret, authorizer, None)
    if settings.changes:
        feed = ChangeFeed(settings.db_url, loop, hub.deliver_changes, hub.deliver_broadcasts)
        await asyncio.to_thread(feed.start)
        hub.feed = feed
    app[HUB] = hub
    app[HTTP] = aiohttp.ClientSession(
        auto_decompress=False, timeout=aiohttp.ClientTimeout(total=120)
    )
    yield
    await app[HTTP].close()
    if hub.feed is not None:
        await asyncio.to_thread(hub.feed.stop)
    await authorizer.close()


# --------------------------------------------------------------------------- REST


async def rest(request: web.Request) -> web.StreamResponse:
    """``/rest/v1/<path>`` as PostgREST's ``/<path>``."""
    settings = request.app[SETTINGS]
    target = settings.postgrest_url + (request.match_info["tail"] or "/")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    body = await request.read()
    try:
        async with request.app[HTTP].request(
            request.method,
            target,
            params=request.query,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as answer:
            data = await answer.read()
            out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(status=answer.status, reason=answer.reason, body=data, headers=out)
    except aiohttp.ClientError:
        return web.json_response({"message": "PostgREST is not answering"}, status=502)


# --------------------------------------------------------------------------- Realtime


def _apikey(request: web.Request) -> str | None:
    return request.headers.get("x-api-key") or request.query.get("apikey")


async def websocket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    vsn = request.query.get("vsn", VSN_1)
    if vsn not in VERSIONS:
        return web.json_response(
            {"error": f"vsn {vsn} is not supported: use one of {', '.join(VERSIONS)}"},
            status=400,
        )
    token = _apikey(request)
    try:
        claims = verify(hub.secret, token)
    except TokenRefused as refused:
        return web.json_response({"error": refused.at_upgrade}, status=401)
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, autoping=True)
    await ws.prepare(request)
    outbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()

    def send(frame: Frame) -> None:
        encoded = encode(frame, vsn)
        if encoded is not None:
            outbox.put_nowait(encoded)

    assert token is not None
    session = Session(hub, vsn, token, claims, send)
    writer = asyncio.get_running_loop().create_task(_write(ws, outbox))
    try:
        async for message in ws:
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                break
            try:
                frame = decode(message.data, vsn)
            except FrameError as exc:
                log.warning("closing a socket that sent a frame Phoenix refuses: %s", exc)
                break
            await session.handle(frame)
    finally:
        await session.closed()
        outbox.put_nowait(None)
        await writer
        await ws.close()
    return ws


async def _write(ws: web.WebSocketResponse, outbox: asyncio.Queue[str | bytes | None]) -> None:
    """Send frames in the order they were queued; a socket that went away takes no more."""
    while (item := await outbox.get()) is not None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            if isinstance(item, bytes):
                await ws.send_bytes(item)
            else:
                await ws.send_str(item)


async def _caller(request: web.Request) -> dict[str, Any] | None:
    """The claims of the REST broadcast's caller: ``Authorization: Bearer``, else ``apikey``."""
    bearer = request.headers.get("Authorization", "")
    token = bearer[7:] if bearer.lower().startswith("bearer ") else request.headers.get("apikey")
    try:
        return verify(request.app[HUB].secret, token)
    except TokenRefused:
        return None


async def broadcast_batch(request: web.Request) -> web.Response:
    claims = await _caller(request)
    if claims is None:
        return web.json_response({"message": "Unauthorized"}, status=401)
    try:
        body = await request.json()
        messages = body["messages"]
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and isinstance(m.get("topic"), str) and m.get("event")
            for m in messages
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return web.json_response(
            {"errors": {"messages": ["each message needs topic, event and payload"]}},
            status=422,
        )
    for m in messages:
        meta = {"id": m["id"]} if m.get("id") else None
        await _send(request, claims, m["topic"], str(m["event"]), m.get("payload"),
                    bool(m.get("private")), meta)  # fmt: skip
    return web.Response(status=202)


async def broadcast_one(request: web.Request) -> web.Response:
    claims = await _caller(request)
    if claims is None:
        return web.json_response({"message": "Unauthorized"}, status=401)
    try:
        payload = json.loads(await request.read() or b"{}")
    except ValueError:
        return web.json_response({"errors": {"payload": ["is not JSON"]}}, status=422)
    private = request.query.get("private") == "true"
    topic, event = request.match_info["topic"], request.match_info["event"]
    await _send(request, claims, topic, event, payload, private, None)
    return web.Response(status=202)


async def _send(
    request: web.Request,
    claims: dict[str, Any],
    topic: str,
    event: str,
    payload: Any,
    private: bool,
    meta: dict[str, Any] | None,
) -> None:
    hub = request.app[HUB]
    if private and not await hub.authorizer.may_write(Policies({}, {}), topic, claims, "broadcast"):
        return  # dropped, and still 202, as Realtime answers
    message: dict[str, Any] = {"type": "broadcast", "event": event, "payload": payload}
    if meta:
        message["meta"] = meta
    hub.fan_out((private, topic), message)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings(
        postgrest_url=os.environ["ZORA_API_POSTGREST"],
        db_url=os.environ["ZORA_API_DB_URL"],
        jwt_secret=os.environ["ZORA_API_JWT_SECRET"],
        changes=os.environ.get("ZORA_API_CHANGES", "1") == "1",
    )
    port = int(os.environ["ZORA_API_PORT"])
    web.run_app(application(settings), host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
