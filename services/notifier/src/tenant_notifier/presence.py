"""Answers "has this owner an open session here?" (tenant_contracts.presence)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import msgspec
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from tenant_contracts.presence import PRESENCE_SUBJECT, PresenceAnswer, PresenceQuery

log = logging.getLogger(__name__)
_query = msgspec.json.Decoder(PresenceQuery)
_answer = msgspec.json.Encoder()


async def answer_presence(nc: NatsClient, sessions_of: Callable[[str], int]) -> Subscription:
    async def on_query(msg: Msg) -> None:
        try:
            owner = _query.decode(msg.data).owner
        except msgspec.DecodeError:
            log.warning("presence query that is not one: %r", msg.data[:200])
            return
        count = sessions_of(owner)
        # Silence means "none here": the asker waits for the first answer of any replica.
        if count and msg.reply:
            await nc.publish(msg.reply, _answer.encode(PresenceAnswer(sessions=count)))

    subscription = await nc.subscribe(PRESENCE_SUBJECT, cb=on_query)
    await nc.flush()  # the server knows this replica before it takes any session
    return subscription
