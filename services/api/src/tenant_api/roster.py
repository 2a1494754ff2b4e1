"""The provisioner replicas heard from lately (their heartbeats: tenant_contracts.heartbeat)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from tenant_api.ops_wire import Replica
from tenant_contracts.heartbeat import (
    HEARTBEAT_LOST_AFTER_SECONDS,
    HEARTBEAT_SUBJECT,
    ProvisionerHeartbeat,
)

_decoder = msgspec.json.Decoder(ProvisionerHeartbeat)


class Roster:
    def __init__(self) -> None:
        self._latest: dict[str, ProvisionerHeartbeat] = {}
        self._seen_at: dict[str, datetime] = {}
        self._sub: Subscription | None = None

    async def follow(self, nc: NATS) -> None:
        self._sub = await nc.subscribe(HEARTBEAT_SUBJECT, cb=self._on_beat)

    async def _on_beat(self, msg: Msg) -> None:
        try:
            beat = _decoder.decode(msg.data)
        except msgspec.DecodeError:
            return  # not a heartbeat we can read: nobody to list
        # Our own clock decides liveness, so a replica's skewed clock cannot keep it listed.
        self.note(beat, datetime.now(UTC))

    def note(self, beat: ProvisionerHeartbeat, seen_at: datetime) -> None:
        self._latest[beat.id] = beat
        self._seen_at[beat.id] = seen_at

    def alive(self, now: datetime) -> list[Replica]:
        cutoff = now - timedelta(seconds=HEARTBEAT_LOST_AFTER_SECONDS)
        for gone in [r for r, seen in self._seen_at.items() if seen < cutoff]:
            del self._seen_at[gone], self._latest[gone]
        return [Replica(id=beat.id, in_flight=beat.in_flight, started_at=beat.started_at,
                        last_seen=self._seen_at[beat.id])
                for beat in sorted(self._latest.values(), key=lambda b: b.id)]
