"""One shared timer pings every session (keepalive.py): a session that answers stays,
one that does not is dropped by its second visit, that is within two intervals."""

from __future__ import annotations

import asyncio

from tenant_notifier.keepalive import SLOTS, Keepalive
from tenant_notifier.protocol import ping_wire
from tests.conftest import wait_until

INTERVAL = 0.08


class Peer:
    def __init__(self, answers: bool) -> None:
        self.answers = answers
        self.awaited: bytes | None = None
        self.pings: list[float] = []
        self.dead_at: float | None = None

    def keepalive(self, ping: bytes, payload: bytes) -> None:
        assert ping == ping_wire(payload)
        if self.awaited is not None:
            self.dead_at = asyncio.get_running_loop().time()
            return
        self.pings.append(asyncio.get_running_loop().time())
        self.awaited = None if self.answers else payload  # an answering peer's pong


async def test_a_silent_peer_is_dead_within_two_intervals_and_others_stay() -> None:
    keepalive = Keepalive(INTERVAL)
    loop = asyncio.get_running_loop()
    added = loop.time()
    peers = [Peer(answers=i % 3 != 0) for i in range(2 * SLOTS)]
    slots = [keepalive.add(peer) for peer in peers]
    try:
        silent = [p for p in peers if not p.answers]
        await wait_until(lambda: all(p.dead_at is not None for p in silent), timeout=5,
                         interval=0.01)
        for peer in silent:
            assert peer.dead_at is not None and peer.dead_at - added <= 2 * INTERVAL + 0.05
        await wait_until(lambda: all(len(p.pings) >= 3 for p in peers if p.answers),
                         timeout=5, interval=0.01)
        assert all(p.dead_at is None for p in peers if p.answers)
        for peer in peers:  # each in its own slot: one ping per interval, not per tick
            gaps = [b - a for a, b in zip(peer.pings, peer.pings[1:], strict=False)]
            assert all(gap >= INTERVAL * 0.9 for gap in gaps), gaps
    finally:
        for peer, slot in zip(peers, slots, strict=True):
            keepalive.discard(peer, slot)
        keepalive.stop()
    assert len(keepalive) == 0


async def test_a_discarded_session_is_no_longer_pinged() -> None:
    keepalive = Keepalive(INTERVAL)
    gone, staying = Peer(answers=True), Peer(answers=True)
    slot = keepalive.add(gone)
    keepalive.add(staying)
    keepalive.discard(gone, slot)
    try:
        await wait_until(lambda: len(staying.pings) >= 2, timeout=5, interval=0.01)
        assert gone.pings == []
    finally:
        keepalive.stop()
