"""Each event's WebSocket frame, built once for all the sessions that get it.

Pure. A server's frames are unmasked and, without compression, depend on nothing
but the payload, so the bytes written to 10,000 sessions for one event are the
same bytes: framing them once per event instead of once per session (websockets'
`send_text` builds a Frame object and serializes it every time) was a large part
of the fan-out's CPU.
"""

from __future__ import annotations

from tenant_notifier.protocol import events_frame, text_wire

# Cached wire bytes are dropped all at once past this: a batch may be large, and only
# the frames of the last loop turns are ever asked for again.
MAX_CACHED_BYTES = 4 * 1024 * 1024


class WireFrames:
    def __init__(self) -> None:
        # Keyed by the identity of the frame (or of each frame of a batch). The value
        # keeps those frames alive, so no other object can take their ids meanwhile.
        self._cache: dict[int | tuple[int, ...], tuple[object, bytes]] = {}
        self._bytes = 0

    def one(self, frame: bytes) -> bytes:
        hit = self._cache.get(id(frame))
        if hit is not None:
            return hit[1]
        return self._remember(id(frame), frame, text_wire(frame))

    def batch(self, frames: list[bytes]) -> bytes:
        """Several frames as one `events` message (protocol.events_frame)."""
        key = tuple(map(id, frames))
        hit = self._cache.get(key)
        if hit is not None:
            return hit[1]
        return self._remember(key, frames, text_wire(events_frame(frames)))

    def _remember(self, key: int | tuple[int, ...], keep: object, wire: bytes) -> bytes:
        if self._bytes + len(wire) > MAX_CACHED_BYTES:
            self._cache.clear()
            self._bytes = 0
        self._cache[key] = (keep, wire)
        self._bytes += len(wire)
        return wire
