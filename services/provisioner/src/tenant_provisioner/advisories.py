"""Watch JetStream's max-deliveries advisory so no request ever ends silently."""

from __future__ import annotations

import logging

import msgspec
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from tenant_contracts.subjects import STREAM_NAME
from tenant_provisioner.event_store import EventStore
from tenant_provisioner.processor import Processor
from tenant_provisioner.request import Poison, parse_request

log = logging.getLogger(__name__)


class MaxDeliveries(msgspec.Struct, frozen=True, kw_only=True):
    stream: str
    consumer: str
    stream_seq: int
    deliveries: int


_decoder = msgspec.json.Decoder(MaxDeliveries)


def advisory_subject(consumer: str) -> str:
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{STREAM_NAME}.{consumer}"


async def watch_max_deliveries(nc: NATS, consumer: str, store: EventStore,
                               processor: Processor) -> Subscription:
    async def on_advisory(msg: Msg) -> None:
        try:
            advisory = _decoder.decode(msg.data)
            subject, data, headers = await store.message(advisory.stream_seq)
            request = parse_request(subject, data, headers, advisory.stream_seq)
            await processor.abandon(request, advisory.deliveries)
        except Poison:
            pass  # poison is terminated, never max-delivered; nothing to record
        except Exception:
            log.exception("could not handle max-deliveries advisory %r", msg.data)

    # A queue group: with several provisioners, one of them handles each advisory.
    return await nc.subscribe(advisory_subject(consumer), queue=f"{consumer}-advisories",
                              cb=on_advisory)
