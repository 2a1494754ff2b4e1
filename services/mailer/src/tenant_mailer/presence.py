"""Asks the notifiers whether an owner has an open session (tenant_contracts.presence)."""

from __future__ import annotations

import msgspec
import nats.errors
from nats.aio.client import Client as NatsClient

from tenant_contracts.presence import PRESENCE_SUBJECT, PresenceQuery

_query = msgspec.json.Encoder()


async def owner_watching(nc: NatsClient, owner: str, wait: float) -> bool:
    """True when any notifier replica answers within `wait`: only replicas that hold a
    session of the owner answer, so the first answer settles it; none means nobody."""
    try:
        await nc.request(PRESENCE_SUBJECT, _query.encode(PresenceQuery(owner=owner)),
                         timeout=wait)
    except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
        return False
    return True
