"""Pings for every session from one timer, instead of a task per session.

A sleeping task per session (and an `asyncio.timeout` per ping) was a good part of
what 10,000 idle sessions cost, both in memory and in timers the loop had to keep.
Sessions are spread over SLOTS; every interval/SLOTS one slot is visited: a session
whose previous ping is still unanswered is dead, any other is pinged again. A dead
peer is thus dropped within two intervals, as before; a ping written behind a full
write buffer still has to be answered within the interval.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Protocol

from websockets.asyncio.connection import Connection
from websockets.frames import Frame, Opcode
from websockets.protocol import Event

from tenant_notifier.protocol import ping_wire

SLOTS = 8


class PingedConnection(Connection):
    """A session's connection (server.py hands it the transport on an upgrade); notes
    the pong to the keepalive's last ping (websockets' own pings are off).

    The 101 waits in `head` for the connection's first write: the welcome (one write,
    one packet, instead of two), or whatever `websockets` writes first (a close, or an
    answer to a frame the client sent at once), which goes out behind it."""

    awaited_pong: bytes | None = None  # the payload of our ping not answered yet
    head: bytes = b""  # the 101, until the first write

    def take_head(self) -> bytes:
        head, self.head = self.head, b""
        return head

    def send_data(self) -> None:
        if self.head:
            self.transport.write(self.take_head())
        super().send_data()

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame) and event.opcode is Opcode.PONG \
                and self.awaited_pong is not None and bytes(event.data) == self.awaited_pong:
            self.awaited_pong = None
        super().process_event(event)


class Pinged(Protocol):
    def keepalive(self, ping: bytes, payload: bytes) -> None:
        """Called once per interval with the wire bytes of a ping and its payload."""


class Keepalive:
    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._slots: list[dict[Pinged, None]] = [{} for _ in range(SLOTS)]
        self._next_slot = 0
        self._round = 0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, member: Pinged) -> int:
        """Returns the slot to give back to `discard`."""
        slot = self._next_slot
        self._next_slot = (slot + 1) % SLOTS
        self._slots[slot][member] = None
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                self._interval / SLOTS, self._tick)
        return slot

    def discard(self, member: Pinged, slot: int) -> None:
        self._slots[slot].pop(member, None)

    def __len__(self) -> int:
        return sum(map(len, self._slots))

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._interval / SLOTS, self._tick)
        self._round += 1
        payload = struct.pack("!I", self._round & 0xFFFFFFFF)
        ping = ping_wire(payload)
        for member in list(self._slots[self._round % SLOTS]):
            member.keepalive(ping, payload)
