"""Opaque keyset cursors for the tenant list (newest first)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime

import msgspec


class InvalidCursor(ValueError):
    pass


# Every created_at this API can return lies well inside these; outside them a timestamp
# could only be forged, and at the edges (year 1 at +14:00) it overflows the database.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_CURSOR_CHARS = 200  # the route's documented max_length; checked here before decoding


class _Position(msgspec.Struct, frozen=True, array_like=True):
    created_at: datetime
    id: uuid.UUID


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_Position)


def encode_cursor(created_at: datetime, tenant_id: uuid.UUID) -> str:
    raw = _encoder.encode(_Position(created_at, tenant_id))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """(created_at in UTC, id); InvalidCursor for anything encode_cursor cannot have made."""
    if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise InvalidCursor("cursor is not one this API returned")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = _decoder.decode(raw)
        # UnicodeDecodeError is a ValueError; RecursionError comes from deep nesting.
        created_at = position.created_at.astimezone(UTC)
    except (binascii.Error, ValueError, OverflowError, RecursionError, msgspec.DecodeError):
        raise InvalidCursor("cursor is not one this API returned") from None
    if position.created_at.tzinfo is None or not EARLIEST <= created_at < LATEST:
        raise InvalidCursor("cursor is not one this API returned")
    return created_at, position.id
