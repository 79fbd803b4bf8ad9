"""Phoenix channel frames as Supabase Realtime reads and writes them, for both ``vsn``.

``vsn`` 1.0.0 frames are JSON objects (the server's carry no ``join_ref``);
2.0.0 frames are JSON arrays ``[join_ref, ref, topic, event, payload]``, and
user broadcasts travel as binary frames: kind 3 from the client, kind 4 to
it (a u8 length per field, so each field is at most 255 bytes). Realtime
sends a kind-4 frame only to a 2.0.0 socket and only for a message pushed
binary; a 1.0.0 socket cannot receive a binary payload and is skipped.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

from zora_db.realtime.changes import json_number

VSN_1 = "1.0.0"
VSN_2 = "2.0.0"
VERSIONS = (VSN_1, VSN_2)

USER_BROADCAST_PUSH = 3
USER_BROADCAST = 4
BINARY_ENCODING = 0
JSON_ENCODING = 1


class FrameError(ValueError):
    """A frame that is not Phoenix's (the socket is closed, as Phoenix closes it)."""


@dataclass(frozen=True)
class UserPayload:
    """A user broadcast's payload as it was pushed: JSON, or bytes with their encoding byte."""

    value: Any = None
    raw: bytes | None = None  # set for a payload pushed in a binary frame
    encoding: int = JSON_ENCODING

    @property
    def sendable_as_json(self) -> bool:
        return self.raw is None or self.encoding == JSON_ENCODING


@dataclass(frozen=True)
class Frame:
    topic: str
    event: str
    payload: Any = field(default_factory=dict)
    ref: str | None = None
    join_ref: str | None = None
    # A user broadcast pushed binary keeps its bytes so that it can go out binary.
    user: UserPayload | None = None


def decode(data: str | bytes, vsn: str) -> Frame:
    """One frame from a client; FrameError for anything Phoenix would not accept."""
    if isinstance(data, bytes):
        if vsn != VSN_2:
            raise FrameError("binary frames need vsn 2.0.0")
        return _decode_user_broadcast_push(data)
    try:
        message = json.loads(data)
    except ValueError as exc:
        raise FrameError(f"not JSON: {exc}") from None
    if vsn == VSN_2:
        if not (isinstance(message, list) and len(message) == 5):
            raise FrameError("a 2.0.0 frame is [join_ref, ref, topic, event, payload]")
        join_ref, ref, topic, event, payload = message
    else:
        if not isinstance(message, dict):
            raise FrameError("a 1.0.0 frame is a JSON object")
        join_ref, ref = message.get("join_ref"), message.get("ref")
        topic, event, payload = message.get("topic"), message.get("event"), message.get("payload")
    if not (isinstance(topic, str) and isinstance(event, str)):
        raise FrameError("topic and event must be strings")
    return Frame(topic, event, payload, _ref(ref), _ref(join_ref))


def _ref(value: Any) -> str | None:
    return None if value is None else str(value)


def _decode_user_broadcast_push(data: bytes) -> Frame:
    if len(data) < 7 or data[0] != USER_BROADCAST_PUSH:
        raise FrameError("the only binary frame a client sends is a user broadcast (kind 3)")
    lengths = data[1:6]
    encoding = data[6]
    fields, offset = [], 7
    for length in lengths:
        fields.append(data[offset : offset + length].decode())
        offset += length
    if offset > len(data):
        raise FrameError("a binary frame shorter than its header says")
    join_ref, ref, topic, event, meta = fields
    raw = data[offset:]
    value: Any = None
    if encoding == JSON_ENCODING:
        try:
            value = json.loads(raw)
        except ValueError:
            raise FrameError("a JSON-encoded broadcast payload that is not JSON") from None
    payload: dict[str, Any] = {"type": "broadcast", "event": event, "payload": value}
    if meta:
        payload |= json.loads(meta)
    user = UserPayload(value, raw, encoding)
    return Frame(topic, "broadcast", payload, ref or None, join_ref or None, user)


def encode(frame: Frame, vsn: str) -> str | bytes | None:
    """The frame as ``vsn`` writes it; None where Realtime sends it nothing."""
    if frame.user is not None and frame.user.raw is not None:
        if vsn == VSN_2:
            return _encode_user_broadcast(frame)
        if not frame.user.sendable_as_json:
            return None
    if vsn == VSN_2:
        return _dumps([frame.join_ref, frame.ref, frame.topic, frame.event, frame.payload])
    return _dumps(
        {"topic": frame.topic, "event": frame.event, "payload": frame.payload, "ref": frame.ref}
    )


def _dumps(value: Any) -> str:
    # Numbers decoded from the WAL are Decimals: they go out as JSON numbers.
    return json.dumps(value, default=json_number, separators=(",", ":"))


def _encode_user_broadcast(frame: Frame) -> bytes:
    assert frame.user is not None and frame.user.raw is not None
    meta = frame.payload.get("meta")
    parts = [p.encode() for p in (frame.topic, frame.payload["event"])]
    parts.append(_dumps(meta).encode() if meta else b"")
    header = struct.pack("!5B", USER_BROADCAST, *(len(p) for p in parts), frame.user.encoding)
    return header + b"".join(parts) + frame.user.raw
