"""Tells the operations view this replica is alive: a core NATS message every few
seconds (tenant_contracts.heartbeat). Lost ones cost nothing: the next one follows."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable

import msgspec
from nats.aio.client import Client as NATS

from tenant_contracts.events import utc_now
from tenant_contracts.heartbeat import HEARTBEAT_SECONDS, HEARTBEAT_SUBJECT, ProvisionerHeartbeat

log = logging.getLogger(__name__)


async def send_heartbeats(nc: NATS, in_flight: Callable[[], int],
                          interval: float = HEARTBEAT_SECONDS) -> None:
    replica = f"{socket.gethostname()}/{os.getpid()}"
    started_at = utc_now()
    while True:
        beat = ProvisionerHeartbeat(id=replica, started_at=started_at, sent_at=utc_now(),
                                    in_flight=in_flight())
        try:
            await nc.publish(HEARTBEAT_SUBJECT, msgspec.json.encode(beat))
        except Exception as exc:  # disconnected: the view shows us gone meanwhile
            log.debug("heartbeat not sent: %r", exc)
        await asyncio.sleep(interval)
