"""Opaque keyset cursors for the tenant list (newest first)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

import msgspec


class InvalidCursor(ValueError):
    pass


class _Position(msgspec.Struct, frozen=True, array_like=True):
    created_at: datetime
    id: uuid.UUID


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_Position)


def encode_cursor(created_at: datetime, tenant_id: uuid.UUID) -> str:
    raw = _encoder.encode(_Position(created_at, tenant_id))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = _decoder.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidCursor("cursor is not one this API returned") from None
    if position.created_at.tzinfo is None:
        raise InvalidCursor("cursor is not one this API returned")
    return position.created_at, position.id
