"""Watch JetStream's max-deliveries advisory so no request ever ends silently."""

from __future__ import annotations

import asyncio
import logging

import msgspec
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from tenant_contracts.subjects import STREAM_NAME
from tenant_contracts.tenant import NotRequested
from tenant_provisioner import metrics
from tenant_provisioner.failures import backoff, until_done
from tenant_provisioner.processor import Processor
from tenant_provisioner.request import Poison, parse_request
from tenant_stream.store import EventStore

log = logging.getLogger(__name__)

# Recording an advisory's outcome is retried from RETRY_FIRST up to every RETRY_CAP s.
RETRY_FIRST = 0.5
RETRY_CAP = 30.0


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
    retrying: set[asyncio.Task[bool]] = set()

    def stopping() -> bool:
        return nc.is_closed or nc.is_draining

    async def record_outcome(advisory: MaxDeliveries) -> None:
        message = await store.message(advisory.stream_seq)
        try:
            request = parse_request(message.subject, message.data, message.headers,
                                    advisory.stream_seq)
            await processor.abandon(request, advisory.deliveries)
        except Poison:
            pass  # poison is terminated, never max-delivered; nothing to record
        except NotRequested as exc:  # would fail the same way every time
            log.error("max-deliveries advisory for seq %s: %s", advisory.stream_seq, exc)

    async def on_advisory(msg: Msg) -> None:
        try:
            advisory = _decoder.decode(msg.data)
        except msgspec.DecodeError:
            log.exception("undecodable max-deliveries advisory %r", msg.data)
            return
        # The advisory comes once and JetStream will not deliver the request again:
        # if this fails, nothing else ever gives the request its outcome, so keep
        # trying (abandon does nothing once the request has an outcome). A task of
        # its own, so that retries do not hold up the next advisory.
        task = asyncio.create_task(until_done(
            lambda: record_outcome(advisory),
            f"recording the outcome of the max-deliveries advisory for seq "
            f"{advisory.stream_seq}", stopping=stopping, delays=backoff(RETRY_FIRST, RETRY_CAP),
            failed=metrics.OUTCOME_RETRIES.inc))
        retrying.add(task)
        task.add_done_callback(retrying.discard)

    # A queue group: with several provisioners, one of them handles each advisory.
    return await nc.subscribe(advisory_subject(consumer), queue=f"{consumer}-advisories",
                              cb=on_advisory)
