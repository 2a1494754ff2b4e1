"""One encoder and one decoder for every event, created once and reused."""

from __future__ import annotations

import msgspec

from tenant_contracts.events import Event, EventBase

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


class UndecodableEvent(ValueError):
    """The bytes are not a known event: a poison message, never retried."""


def encode_event(event: EventBase) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes) -> Event:
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError as exc:  # covers ValidationError too
        raise UndecodableEvent(str(exc)) from exc
