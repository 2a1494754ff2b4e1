"""The WebSocket protocol of SPEC section 4: frames, close codes, connect parameters.

Pure: no I/O. Event frames are built once per event from the payload exactly as
it is in the stream, so every session receives the very same bytes; a frame also
carries the trace id of the message's `traceparent`, so a browser's event can be
found among the traces of the api, the provisioner and the notifier.
"""

from __future__ import annotations

import functools
import re
import struct
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

import msgspec

from tenant_contracts.events import EVENT_TYPES, TYPE_BY_SUFFIX
from tenant_contracts.subjects import SUBJECT_PREFIX

MAX_TENANT_FILTER = 100  # `tenant` parameters a session may give

CLOSE_UNSUPPORTED_DATA = 1003  # a binary client frame
CLOSE_MESSAGE_TOO_BIG = 1009  # sent by the websockets library itself past MAX_CLIENT_FRAME
CLOSE_INTERNAL_ERROR = 1011
CLOSE_RESTARTING = 1012
CLOSE_TRY_AGAIN_LATER = 1013  # `after` is past the head we know and NATS cannot say more
CLOSE_TOO_SLOW = 4008
CLOSE_BAD_REQUEST = 4400  # a text client frame that is not JSON, or a bad `after`
CLOSE_UNAUTHORIZED = 4401  # no token, a bad one, an expired one, or one over the size limit
# `after` is beyond the stream's head (a client restored from an old backup, or pointed at
# a rebuilt stream): the reason ends with "head=<seq>"; reload the list and start over.
CLOSE_AFTER_BEYOND_HEAD = 4416

MAX_CLIENT_FRAME = 64 * 1024
# The largest `after`: the largest integer a JavaScript client holds exactly (2**53 - 1).
MAX_SEQ = 9_007_199_254_740_991
_SEQ = re.compile(r"[0-9]{1,16}")  # ASCII only: str.isdigit() also takes "²" and "١٢"
MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: the close frame's payload is at most 125 bytes


def close_reason(text: str) -> str:
    """`text` cut to what a close frame can carry, never inside a UTF-8 sequence."""
    encoded = text.encode()
    if len(encoded) <= MAX_CLOSE_REASON_BYTES:
        return text
    return encoded[:MAX_CLOSE_REASON_BYTES].decode(errors="ignore")


def beyond_head_reason(after: int, head: int) -> str:
    return f"after {after} is beyond the stream's head; head={head}"


class Welcome(msgspec.Struct, frozen=True, kw_only=True, tag="welcome", tag_field="type"):
    session_id: str
    user: str
    after: int | None


_welcome_encoder = msgspec.json.Encoder()


def welcome_frame(session_id: str, user: str, after: int | None) -> bytes:
    return _welcome_encoder.encode(Welcome(session_id=session_id, user=user, after=after))


def event_frame(seq: int, payload: bytes, trace_id: str | None = None) -> bytes:
    """`trace_id` must come from trace_id_of (32 hex digits): it is written as is."""
    if trace_id is None:
        return b'{"type":"event","seq":%d,"event":%b}' % (seq, payload)
    return b'{"type":"event","seq":%d,"event":%b,"trace_id":"%b"}' % (
        seq, payload, trace_id.encode())


def events_frame(frames: list[bytes]) -> bytes:
    """Several event frames, in order, as one message: `{"type":"events","items":[...]}`.
    Sent only to a session that asked for it (`batch=1`), and only when more than one
    frame waits: a session that is behind gets one WebSocket message instead of many."""
    return b'{"type":"events","items":[%b]}' % b",".join(frames)


_OP_TEXT, _OP_PING = 0x1, 0x9
_FIN = 0x80


def server_frame(opcode: int, payload: bytes) -> bytes:
    """A whole unmasked, unfragmented frame as RFC 6455 section 5.2 lays it out: a
    server's frames carry no mask and (without compression) no per-connection state,
    so the same bytes are right for every session and are built once per event."""
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", _FIN | opcode, length)
    elif length < 65536:
        head = struct.pack("!BBH", _FIN | opcode, 126, length)
    else:
        head = struct.pack("!BBQ", _FIN | opcode, 127, length)
    return head + payload


def text_wire(payload: bytes) -> bytes:
    return server_frame(_OP_TEXT, payload)


def ping_wire(payload: bytes) -> bytes:
    if len(payload) > 125:
        raise ValueError("a ping carries at most 125 bytes")
    return server_frame(_OP_PING, payload)


_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_NO_TRACE = "0" * 32


def trace_id_of(headers: Mapping[str, str] | None) -> str | None:
    """The trace id of a stream message's W3C `traceparent` header; None when it has none
    (or an invalid one), and the frame then carries no trace_id."""
    match = _TRACEPARENT.match(headers.get("traceparent", "")) if headers else None
    if match is None or match.group(1) == _NO_TRACE:
        return None
    return match.group(1)


class Routing(msgspec.Struct, frozen=True, kw_only=True):
    """The only fields routing reads; the rest of the payload passes through untouched,
    so events of types or versions this notifier does not know still reach clients."""

    type: str
    owner: str
    tenant_id: uuid.UUID


_routing_decoder = msgspec.json.Decoder(Routing)
_SUFFIX_BY_TYPE = {str(t.__struct_config__.tag): t.suffix for t in EVENT_TYPES}


class NotAnEvent(ValueError):
    """A stream message that is not a JSON event object with an owner, or not on its
    own tenant's subject: a poison message."""


def routing_of(subject: str, payload: bytes) -> Routing:
    """The payload's routing fields, once they agree with the subject it was stored on:
    a principal may append on `tenants.*.<its suffixes>`, so the subject proves nothing
    about whose tenant the payload names. Unknown types and suffixes pass (a newer
    release's events), but a known one must match its counterpart."""
    try:
        routing = _routing_decoder.decode(payload)
    except msgspec.DecodeError as exc:
        raise NotAnEvent(str(exc)) from exc
    parts = subject.split(".")
    if len(parts) != 3 or parts[0] != SUBJECT_PREFIX or parts[1] != str(routing.tenant_id):
        raise NotAnEvent(f"payload of tenant {routing.tenant_id} stored on {subject}")
    known = TYPE_BY_SUFFIX.get(parts[2])
    if known is not None and str(known.__struct_config__.tag) != routing.type:
        raise NotAnEvent(f"{routing.type} stored on {subject}")
    suffix = _SUFFIX_BY_TYPE.get(routing.type)
    if suffix is not None and suffix != parts[2]:
        raise NotAnEvent(f"{routing.type} stored on {subject}")
    return routing


_client_frame_decoder = msgspec.json.Decoder()


def judge_client_frame(message: str | bytes) -> tuple[int, str] | None:
    """None when the frame is acceptable (it is then ignored), else the close code and reason."""
    if isinstance(message, bytes):
        return CLOSE_UNSUPPORTED_DATA, "binary frames are not accepted; send JSON text"
    try:
        _client_frame_decoder.decode(message)
    except msgspec.DecodeError:
        return CLOSE_BAD_REQUEST, "client frames must be JSON"
    return None


class BadConnect(ValueError):
    """The connect request cannot be served; str(exc) is the close reason."""


class ConnectParams(msgspec.Struct, frozen=True, kw_only=True):
    token: str | None
    after: int | None  # None: live from the moment of connecting
    # `tenant=<id>` (repeatable): only these tenants' events; None: every visible one
    tenants: frozenset[str] | None = None
    batch: bool = False  # `batch=1`: frames queued together may come as one `events` frame


def parse_connect(path: str, headers: Mapping[str, str]) -> ConnectParams:
    params = _parse_query(path) if len(path) <= MAX_CACHED_PATH else _parse_query.__wrapped__(path)
    if params.token:
        return params
    try:
        authorization = headers.get("Authorization", "")
    except LookupError:  # websockets' Headers raise it for a repeated header
        raise BadConnect("more than one Authorization header") from None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return msgspec.structs.replace(params, token=credentials.strip())
    return params


# Every tab of a user, and every client coming back after a restart, asks for the same
# path: parsing a query string was a noticeable part of opening 10,000 sessions.
# Failures are not cached (lru_cache never keeps an exception).
MAX_CACHED_PATH = 2048


@functools.lru_cache(maxsize=1024)
def _parse_query(path: str) -> ConnectParams:
    query = parse_qs(urlsplit(path).query)
    token = _last(query.get("access_token"))
    raw_after = _last(query.get("after"))
    after: int | None = None
    if raw_after is not None and raw_after != "":
        if not _SEQ.fullmatch(raw_after) or int(raw_after) > MAX_SEQ:
            raise BadConnect(f"after must be an integer in 0..{MAX_SEQ} (a stream seq)")
        after = int(raw_after)
    return ConnectParams(token=token or None, after=after,
                         tenants=_tenants(query.get("tenant")),
                         batch=_last(query.get("batch")) == "1")


def _tenants(values: list[str] | None) -> frozenset[str] | None:
    if not values:
        return None
    if len(values) > MAX_TENANT_FILTER:
        raise BadConnect(f"at most {MAX_TENANT_FILTER} tenant parameters")
    try:
        # The stream spells ids in the canonical lower-case form; so do we.
        return frozenset(str(uuid.UUID(value)) for value in values)
    except ValueError:
        raise BadConnect("tenant must be a tenant id (a UUID)") from None


def _last(values: list[str] | None) -> str | None:
    return values[-1] if values else None
