"""Provisioner heartbeats: core NATS (not stored), so the operations view can tell which
provisioner replicas are alive. Each replica publishes every HEARTBEAT_SECONDS; one not
heard from for HEARTBEAT_LOST_AFTER_SECONDS is gone (crashed, stopped or cut off)."""

from __future__ import annotations

from datetime import datetime

import msgspec

HEARTBEAT_SUBJECT = "ops.provisioner.heartbeat"
HEARTBEAT_SECONDS = 2.0
HEARTBEAT_LOST_AFTER_SECONDS = 3 * HEARTBEAT_SECONDS


class ProvisionerHeartbeat(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # the replica: host name and pid, unique while it runs
    started_at: datetime
    sent_at: datetime
    in_flight: int  # requests it is working on now
