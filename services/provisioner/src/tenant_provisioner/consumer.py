"""The durable pull consumer on the request subjects: fetch, process, ack / nak / term."""

from __future__ import annotations

import asyncio
import logging

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from tenant_contracts.subjects import REQUEST_SUBJECTS, STREAM_NAME
from tenant_provisioner import metrics
from tenant_provisioner.decision import Done, Later
from tenant_provisioner.processor import Drop, Processor
from tenant_provisioner.request import Poison, parse_request
from tenant_provisioner.settings import Settings
from tenant_stream.pull import PullWorkers

log = logging.getLogger(__name__)


def consumer_config(s: Settings) -> ConsumerConfig:
    # Created when missing (at start, or at run time after a loss); an existing one is
    # left as it is: changing it is the admin's (the provisioner may not edit).
    return ConsumerConfig(
        name=s.consumer, durable_name=s.consumer, filter_subjects=list(REQUEST_SUBJECTS),
        deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.EXPLICIT,
        ack_wait=s.ack_wait, max_deliver=s.max_deliver, max_ack_pending=1000,
    )


class RequestConsumer:
    def __init__(self, nc: NATS, js: JetStreamContext, settings: Settings,
                 processor: Processor) -> None:
        self._nc = nc
        self._js = js
        self._settings = settings
        self._processor = processor
        self._workers = PullWorkers(self._handle, settings.concurrency)

    def in_flight(self) -> int:
        return self._workers.in_flight()

    async def run(self, stop: asyncio.Event) -> None:
        # After the grace, what is still running is cancelled: _handle hands it back.
        await self._workers.run(self._js, STREAM_NAME, self._settings.consumer, stop,
                                self._settings.grace, cancel_after_grace=True)

    async def _handle(self, msg: Msg) -> None:
        meta = msg.metadata
        try:
            request = parse_request(msg.subject, msg.data, msg.headers or {}, meta.sequence.stream)
        except Poison as exc:
            log.error("terminating poison message seq=%s: %s", meta.sequence.stream, exc)
            metrics.REQUESTS.labels("drop").inc()
            await self._term(msg, str(exc))  # never retried: it can only fail again
            return
        keepalive = asyncio.create_task(self._keep_alive(msg))
        try:
            outcome = await self._processor.process(request, delivery=meta.num_delivered)
        except asyncio.CancelledError:
            # Shutdown grace is over: hand the request back at once; the next delivery
            # reads the events and carries on from there.
            await msg.nak()
            raise
        except Exception:
            log.exception("tenant=%s seq=%s failed unexpectedly", request.tenant_id, request.seq)
            metrics.REQUESTS.labels("error").inc()
            # Maybe NATS is unreachable for appends: try again later; max_deliver and
            # its advisory bound the retries.
            backoff = self._settings.backoff
            await msg.nak(delay=backoff[min(meta.num_delivered, len(backoff)) - 1])
            return
        finally:
            keepalive.cancel()
        log.info("tenant=%s seq=%s delivery=%s: %s", request.tenant_id, request.seq,
                 meta.num_delivered, outcome)
        metrics.REQUESTS.labels(type(outcome).__name__.lower()).inc()
        match outcome:
            case Done():
                await msg.ack()  # the request has its outcome in the stream
            case Later(delay=delay):
                await msg.nak(delay=delay)  # redeliver when the backoff/wait is over
            case Drop(reason=reason):
                await self._term(msg, reason)

    async def _keep_alive(self, msg: Msg) -> None:
        # In-progress acks restart ack_wait, so healthy long work is never redelivered
        # to another worker.
        while True:
            await asyncio.sleep(self._settings.ack_wait / 3)
            await msg.in_progress()

    async def _term(self, msg: Msg, reason: str) -> None:
        # +TERM with a reason shows up in the server's terminated advisory.
        await self._nc.publish(msg.reply, b"+TERM " + reason.encode()[:200])
