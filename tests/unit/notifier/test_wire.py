"""Frames written to the transport as bytes built once per event (wire.py, protocol.py)."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from tenant_notifier import wire as wire_module
from tenant_notifier.protocol import events_frame, ping_wire, text_wire
from tenant_notifier.wire import WireFrames


def _websockets_serialized(opcode: Opcode, payload: bytes) -> bytes:
    return Frame(opcode, payload).serialize(mask=False, extensions=[])


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_text_frame_is_what_websockets_itself_would_write(length: int) -> None:
    payload = b"x" * length
    assert text_wire(payload) == _websockets_serialized(Opcode.TEXT, payload)


def test_a_ping_is_what_websockets_itself_would_write() -> None:
    assert ping_wire(b"\x00\x00\x00\x07") == _websockets_serialized(Opcode.PING,
                                                                      b"\x00\x00\x00\x07")
    with pytest.raises(ValueError):
        ping_wire(b"x" * 126)  # RFC 6455: control frames carry at most 125 bytes


def test_one_frame_is_framed_once_for_every_session() -> None:
    frames = WireFrames()
    frame = b'{"type":"event","seq":1,"event":{}}'
    first = frames.one(frame)
    assert first == text_wire(frame)
    assert frames.one(frame) is first  # the same bytes object: not framed again
    equal_but_other = bytes(bytearray(frame))
    assert frames.one(equal_but_other) == first  # keyed by identity, still right


def test_a_batch_is_one_events_message_framed_once() -> None:
    frames = WireFrames()
    batch = [b'{"type":"event","seq":1,"event":{}}', b'{"type":"event","seq":2,"event":{}}']
    first = frames.batch(batch)
    assert first == text_wire(events_frame(batch))
    assert frames.batch(list(batch)) is first  # the same frames, another list
    assert frames.batch(batch[:1] * 2) == text_wire(events_frame(batch[:1] * 2))


def test_the_cache_is_dropped_past_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire_module, "MAX_CACHED_BYTES", 100)
    frames = WireFrames()
    kept = [b"a" * 40, b"b" * 40, b"c" * 40]
    first = frames.one(kept[0])
    frames.one(kept[1])
    frames.one(kept[2])  # over 100 bytes: everything before goes
    again = frames.one(kept[0])
    assert again == first and again is not first
