"""Supabase Realtime's channels, served: joins, postgres_changes, broadcast, presence, tokens.

The rules are Realtime's (``realtime_channel.ex`` and its handlers, read at
2.129.8), restated here; ``facts/realtime-protocol.md`` has the shapes:

* A join names ``realtime:<subtopic>``; its ``access_token`` (else the
  socket's apikey) must verify, a private channel needs a read policy on
  ``realtime.messages``; the reply lists the postgres_changes bindings in
  request order with integer ids, and "Subscribed to PostgreSQL" follows once
  the engine holds them.
* Public and private topics are separate namespaces. ``self: false`` leaves
  out only the sending channel; a private broadcast needs the write policy
  (asked once per channel, until a new token), and a denial is silent.
* Presence diffs go to every member with read access, the tracker included.
* A token is re-checked when a new one arrives and at its ``exp``; a failure
  is a ``system`` error, then ``phx_close``.

What this server does not do, it refuses in Realtime's words (replay) or
leaves out (rate limits other than presence's, tenants, clustering).
"""

from __future__ import annotations

import asyncio
import binascii
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zora_db.errors import SubscriptionError
from zora_db.realtime.authorization import Authorizer, MissingPartition, Policies
from zora_db.realtime.feed import ChangeFeed, DatabaseBroadcast, Decided, wire_data
from zora_db.realtime.phoenix import JSON_ENCODING, Frame, UserPayload
from zora_db.realtime.presence import Presence
from zora_db.realtime.subscriptions import Subscription
from zora_db.tokens import TokenRefused, verify

MAX_CHANNELS_PER_CLIENT = 100
PRESENCE_MAX_CALLS = 5  # per channel and window, Realtime's client presence limit
PRESENCE_WINDOW_S = 30.0

log = logging.getLogger(__name__)

Namespace = tuple[bool, str]  # (private, subtopic)


def _truthy(value: Any) -> bool:
    return value is True or value == "true"


def binding_id(params: dict[str, Any]) -> int:
    """A binding's id: a hash of its parameters, so equal bindings share it (as phash2)."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return binascii.crc32(text.encode()) & 0x7FFFFFF


@dataclass(eq=False)
class Binding:
    id: int
    params: dict[str, Any]
    subscriptions: list[Subscription] = field(default_factory=list)


@dataclass(eq=False)
class Channel:
    session: Session
    topic: str
    join_ref: str | None
    private: bool
    token: str
    claims: dict[str, Any]
    broadcast_self: bool = False
    broadcast_ack: bool = False
    presence_enabled: bool = False
    presence_key: str = ""
    bindings: list[Binding] = field(default_factory=list)
    policies: Policies | None = None
    expiry: asyncio.TimerHandle | None = None
    presence_calls: deque[float] = field(default_factory=deque)

    @property
    def subtopic(self) -> str:
        return self.topic.removeprefix("realtime:")

    @property
    def namespace(self) -> Namespace:
        return (self.private, self.subtopic)

    def may_read(self, extension: str) -> bool:
        return not self.private or (self.policies is not None and self.policies.may_read(extension))

    def subscriptions(self) -> list[Subscription]:
        return [s for b in self.bindings for s in b.subscriptions]


class Session:
    """One websocket: its protocol version, its apikey's claims, its joined channels."""

    def __init__(
        self, hub: Hub, vsn: str, token: str, claims: dict[str, Any], send: Callable[[Frame], None]
    ) -> None:
        self.hub, self.vsn, self.token, self.claims = hub, vsn, token, claims
        self.send = send
        self.channels: dict[str, Channel] = {}

    def reply(self, frame: Frame, status: str, response: dict[str, Any] | None = None) -> None:
        self.send(
            Frame(
                frame.topic,
                "phx_reply",
                {"status": status, "response": response or {}},
                frame.ref,
                frame.join_ref,
            )
        )

    async def handle(self, frame: Frame) -> None:
        if frame.topic == "phoenix" and frame.event == "heartbeat":
            self.reply(frame, "ok")
            return
        if frame.event == "phx_join":
            await self.hub.join(self, frame)
            return
        channel = self.channels.get(frame.topic)
        if channel is None:
            self.reply(frame, "error", {"reason": "unmatched topic"})
            return
        if frame.event == "phx_leave":
            self.reply(frame, "ok")
            await self.hub.close(channel)
        elif frame.event == "access_token":
            await self.hub.refresh(channel, (frame.payload or {}).get("access_token"))
        elif frame.event == "broadcast":
            await self.hub.broadcast_from(channel, frame)
        elif frame.event == "presence":
            await self.hub.presence_event(channel, frame)

    async def closed(self) -> None:
        for channel in list(self.channels.values()):
            await self.hub.close(channel, notify=False)


class Hub:
    """Every joined channel of every socket, and the engine that feeds them."""

    def __init__(self, secret: str, authorizer: Authorizer, feed: ChangeFeed | None) -> None:
        self.secret = secret
        self.authorizer = authorizer
        self.feed = feed
        self.members: dict[Namespace, set[Channel]] = {}
        self.presence: dict[Namespace, Presence] = {}
        self._owners: dict[int, tuple[Channel, Binding]] = {}  # id(subscription) -> where it goes

    # ----------------------------------------------------------------- join and leave

    async def join(self, session: Session, frame: Frame) -> None:
        reason = await self._join(session, frame)
        if reason is not None:
            session.reply(frame, "error", {"reason": reason})

    async def _join(self, session: Session, frame: Frame) -> str | None:
        if not frame.topic.startswith("realtime:"):
            return "unmatched topic"
        subtopic = frame.topic.removeprefix("realtime:")
        if not subtopic:
            return "TopicNameRequired: You must provide a topic name"
        if (old := session.channels.get(frame.topic)) is not None:
            await self.close(old)  # Phoenix closes the channel a rejoin replaces
        if len(session.channels) >= MAX_CHANNELS_PER_CLIENT:
            return "ChannelRateLimitReached: Too many channels"
        payload = frame.payload if isinstance(frame.payload, dict) else {}
        config: dict[str, Any] = payload.get("config") or {}
        if not isinstance(config, dict):
            config = {}  # Realtime logs an invalid payload and joins with the defaults
        token = payload.get("access_token") or payload.get("user_token")
        if not isinstance(token, str) or token.startswith("sb_"):
            token = session.token
        try:
            claims = verify(self.secret, token)
        except TokenRefused as refused:
            return f"{refused.code}: {refused}"
        broadcast = config.get("broadcast") or {}
        presence = config.get("presence") or {}
        channel = Channel(
            session,
            frame.topic,
            frame.join_ref,
            _truthy(config.get("private")),
            token,
            claims,
            broadcast_self=_truthy(broadcast.get("self")),
            broadcast_ack=_truthy(broadcast.get("ack")),
            presence_enabled=_truthy(presence.get("enabled")),
            presence_key=str(presence.get("key") or "") or _presence_key(),
        )
        if broadcast.get("replay") is not None:
            return (
                "UnableToReplayMessages: Replay is not served by zora-db's local Realtime"
                if channel.private
                else "UnableToReplayMessages: Replay is not allowed for public channels"
            )
        if channel.private and (denied := await self._authorize(channel)) is not None:
            return denied
        changes = config.get("postgres_changes") or []
        channel.bindings = [Binding(binding_id(p), p) for p in changes if isinstance(p, dict)]
        session.channels[frame.topic] = channel
        self.members.setdefault(channel.namespace, set()).add(channel)
        listed = [{**b.params, "id": b.id} for b in channel.bindings]
        session.reply(frame, "ok", {"postgres_changes": listed})
        if channel.presence_enabled:
            self._send_presence_state(channel)
        self._schedule_expiry(channel)
        if channel.bindings:
            asyncio.get_running_loop().create_task(self._subscribe(channel))
        return None

    async def _authorize(self, channel: Channel) -> str | None:
        try:
            channel.policies = await self.authorizer.read(
                channel.subtopic, channel.claims, channel.presence_enabled
            )
        except MissingPartition:
            return "MissingPartition: Realtime was unable to find the expected messages partition"
        if channel.may_read("broadcast") or channel.may_read("presence"):
            return None
        return (
            "Unauthorized: You do not have permissions to read from this Channel topic: "
            + channel.subtopic
        )

    async def close(self, channel: Channel, *, notify: bool = True) -> None:
        """Take ``channel`` down: out of its topic, its presence, the engine; phx_close sent."""
        session = channel.session
        if session.channels.get(channel.topic) is not channel:
            return
        del session.channels[channel.topic]
        self.members.get(channel.namespace, set()).discard(channel)
        if channel.expiry is not None:
            channel.expiry.cancel()
        self._presence_leave(channel)
        await self._unsubscribe(channel)
        if notify:
            session.send(Frame(channel.topic, "phx_close", {}, channel.join_ref, channel.join_ref))

    async def shutdown(self, channel: Channel, message: str) -> None:
        """Realtime's ``shutdown_response``: a system error, then the channel closes."""
        self._system(channel, "system", "error", message)
        await self.close(channel)

    def _system(self, channel: Channel, extension: str, status: str, message: str) -> None:
        channel.session.send(
            Frame(
                channel.topic,
                "system",
                {
                    "extension": extension,
                    "status": status,
                    "message": message,
                    "channel": channel.subtopic,
                },
                None,
                channel.join_ref,
            )
        )

    # ----------------------------------------------------------------- tokens

    def _schedule_expiry(self, channel: Channel) -> None:
        if channel.expiry is not None:
            channel.expiry.cancel()
        loop = asyncio.get_running_loop()
        delay = max(0.0, float(channel.claims["exp"]) - time.time())
        channel.expiry = loop.call_later(
            delay, lambda: loop.create_task(self._confirm_token(channel))
        )

    async def _confirm_token(self, channel: Channel) -> None:
        try:
            verify(self.secret, channel.token)
        except TokenRefused as refused:
            await self.shutdown(channel, str(refused))
            return
        self._schedule_expiry(channel)

    async def refresh(self, channel: Channel, token: Any) -> None:
        """A new ``access_token``: re-verified, policies asked again, changes resubscribed."""
        if not isinstance(token, str) or token.startswith("sb_") or token == channel.token:
            return
        try:
            claims = verify(self.secret, token)
        except TokenRefused as refused:
            await self.shutdown(channel, str(refused))
            return
        channel.token, channel.claims = token, claims
        if channel.private and await self._authorize(channel) is not None:
            await self.shutdown(
                channel,
                "You no longer have permission to read from this Channel topic: "
                + channel.subtopic,
            )
            return
        self._schedule_expiry(channel)
        if channel.bindings:
            await self._unsubscribe(channel)
            await self._subscribe(channel)

    # ----------------------------------------------------------------- postgres_changes

    async def _subscribe(self, channel: Channel) -> None:
        if self.feed is None:
            self._system(
                channel,
                "postgres_changes",
                "error",
                "zora-db's local Realtime serves no postgres_changes without logical decoding",
            )
            return
        subscriptions: list[tuple[Binding, Subscription]] = []
        try:
            for binding in channel.bindings:
                for table in self._tables_of(binding.params):
                    subscriptions.append(
                        (
                            binding,
                            Subscription(
                                table,
                                channel.claims,
                                str(binding.params.get("event") or "*"),
                                str(binding.params.get("filter") or ""),
                            ),
                        )
                    )
            problem = await self.feed.subscribe([s for _, s in subscriptions])
        except SubscriptionError as exc:
            problem = str(exc)
        if channel.session.channels.get(channel.topic) is not channel:
            await self.feed.unsubscribe([s for _, s in subscriptions])
            return  # left while the engine was busy
        if problem is not None:
            log.warning("a subscription of %s was refused: %s", channel.topic, problem)
            self._system(channel, "postgres_changes", "error", _unable(channel.bindings))
            return
        for binding, subscription in subscriptions:
            binding.subscriptions.append(subscription)
            self._owners[id(subscription)] = (channel, binding)
        self._system(channel, "postgres_changes", "ok", "Subscribed to PostgreSQL")

    def _tables_of(self, params: dict[str, Any]) -> list[str]:
        schema = str(params.get("schema") or "public")
        table = str(params.get("table") or "*")
        if table != "*":
            return [f"{schema}.{table}"]
        assert self.feed is not None
        return [t for t in self.feed.published if t.startswith(schema + ".") or schema == "*"]

    async def _unsubscribe(self, channel: Channel) -> None:
        gone = channel.subscriptions()
        for binding in channel.bindings:
            binding.subscriptions.clear()
        for subscription in gone:
            self._owners.pop(id(subscription), None)
        if gone and self.feed is not None:
            await self.feed.unsubscribe(gone)

    def deliver_changes(self, decided: list[Decided]) -> None:
        """The engine's decisions, as ``postgres_changes`` events to each channel."""
        for item in decided:
            per_channel: dict[Channel, tuple[list[int], dict[str, Any]]] = {}
            for delivery, columns in item.deliveries:
                owner = self._owners.get(id(delivery.subscription))
                if owner is None:
                    continue
                channel, binding = owner
                if channel not in per_channel:  # one channel's subscriptions share one payload
                    per_channel[channel] = ([], wire_data(delivery, columns))
                ids = per_channel[channel][0]
                if binding.id not in ids:
                    ids.append(binding.id)
            for channel, (ids, data) in per_channel.items():
                channel.session.send(
                    Frame(channel.topic, "postgres_changes", {"ids": ids, "data": data})
                )

    # ----------------------------------------------------------------- broadcast

    async def broadcast_from(self, channel: Channel, frame: Frame) -> None:
        payload = frame.payload if isinstance(frame.payload, dict) else {}
        if channel.private and not await self.authorizer.may_write(
            channel.policies or Policies({}, {}), channel.subtopic, channel.claims, "broadcast"
        ):
            return  # silent, even with ack: the client times out, as with Realtime
        message = {k: v for k, v in payload.items() if k in ("type", "event", "payload")}
        self.fan_out(channel.namespace, message, frame.user, sender=channel)
        if channel.broadcast_ack:
            channel.session.reply(frame, "ok")

    def fan_out(
        self,
        namespace: Namespace,
        message: dict[str, Any],
        user: UserPayload | None = None,
        sender: Channel | None = None,
    ) -> None:
        """A user broadcast to the members of ``namespace`` who may read broadcasts."""
        for member in list(self.members.get(namespace, ())):
            if member is sender and not member.broadcast_self:
                continue
            if not member.may_read("broadcast"):
                continue
            member.session.send(Frame(member.topic, "broadcast", message, user=user))

    def deliver_broadcasts(self, broadcasts: list[DatabaseBroadcast]) -> None:
        """What ``realtime.send`` inserted, to the topic's members, with ``meta.id``."""
        for b in broadcasts:
            message = {
                "type": "broadcast",
                "event": b.event,
                "payload": b.payload,
                "meta": {"id": b.id},
            }
            raw = json.dumps(b.payload).encode()
            self.fan_out((b.private, b.topic), message, UserPayload(b.payload, raw, JSON_ENCODING))

    # ----------------------------------------------------------------- presence

    async def presence_event(self, channel: Channel, frame: Frame) -> None:
        payload = frame.payload if isinstance(frame.payload, dict) else {}
        event = str(payload.get("event") or "").lower()
        now = time.monotonic()
        calls = channel.presence_calls
        while calls and now - calls[0] > PRESENCE_WINDOW_S:
            calls.popleft()
        if len(calls) >= PRESENCE_MAX_CALLS:
            await self.shutdown(channel, "Client presence rate limit exceeded")
            return
        calls.append(now)
        if event == "track":
            meta = payload.get("payload")
            if not isinstance(meta, dict):
                channel.session.reply(
                    frame, "error", {"reason": "Presence track payload must be a map"}
                )
                return
            if channel.private and not await self.authorizer.may_write(
                channel.policies or Policies({}, {}), channel.subtopic, channel.claims, "presence"
            ):
                channel.session.reply(frame, "error")
                return
            if not channel.presence_enabled:
                channel.presence_enabled = True
            diff = self.presence.setdefault(channel.namespace, Presence()).track(
                channel, channel.presence_key, meta
            )
        elif event == "untrack":
            diff = self.presence.setdefault(channel.namespace, Presence()).untrack(channel)
        else:
            channel.session.reply(frame, "error")
            return
        channel.session.reply(frame, "ok")
        if diff:
            self._send_diff(channel.namespace, diff.payload())

    def _presence_leave(self, channel: Channel) -> None:
        presence = self.presence.get(channel.namespace)
        if presence is None:
            return
        diff = presence.untrack(channel)
        if not presence:
            del self.presence[channel.namespace]
        if diff:
            self._send_diff(channel.namespace, diff.payload())

    def _send_diff(self, namespace: Namespace, diff: dict[str, Any]) -> None:
        for member in list(self.members.get(namespace, ())):
            if member.presence_enabled and member.may_read("presence"):
                member.session.send(Frame(member.topic, "presence_diff", diff))

    def _send_presence_state(self, channel: Channel) -> None:
        if not channel.may_read("presence"):
            return
        presence = self.presence.get(channel.namespace)
        state = presence.state() if presence else {}
        channel.session.send(Frame(channel.topic, "presence_state", state, None, channel.join_ref))


def _presence_key() -> str:
    return str(uuid.uuid1())  # Realtime's default key: a UUIDv1 per channel


def _unable(bindings: list[Binding]) -> str:
    described = "; ".join(
        f"[event: {b.params.get('event')}, schema: {b.params.get('schema')}, "
        f"table: {b.params.get('table')}, filters: {b.params.get('filter') or []}]"
        for b in bindings
    )
    return (
        "Unable to subscribe to changes with given parameters. Please check Realtime is "
        f"enabled for the given connect parameters: {described}"
    )
