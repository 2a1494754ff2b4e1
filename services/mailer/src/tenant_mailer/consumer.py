"""The mailer's durable JetStream consumer on the events that end a tenant's request.

Once per event: an event is acked (and the ack confirmed by the server) only after the
SMTP server accepted every email it calls for. Two replicas share the consumer, so each
delivery goes to one of them; in-progress acks keep a slow send from being redelivered
to the other. A crash (kill -9) before the ack redelivers the event: its emails are sent
again, at most once more. A transient SMTP failure before any email of the event was
accepted hands the event back with a delay (nak); after one was accepted the rest are
retried here, so a retry never repeats an email that was accepted.
"""

from __future__ import annotations

import asyncio
import logging

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from tenant_contracts.codec import UndecodableEvent, decode_event
from tenant_contracts.events import TYPE_BY_SUFFIX, TenantRequested
from tenant_contracts.subjects import STREAM_NAME, UnexpectedSubject, parse_subject
from tenant_contracts.tenant import fold
from tenant_mailer import metrics, smtp
from tenant_mailer.mail import ENDINGS, mails_for, message
from tenant_mailer.presence import owner_watching
from tenant_mailer.settings import Settings, SmtpSettings
from tenant_stream.event_log import EventLog
from tenant_stream.pull import PullWorkers

log = logging.getLogger(__name__)


def ending_subjects() -> list[str]:
    return [f"tenants.*.{suffix}" for suffix in ENDINGS if suffix in TYPE_BY_SUFFIX]


def consumer_config(settings: Settings) -> ConsumerConfig:
    # NEW: a mailer deployed on an old stream does not email about every tenant there
    # was; from its creation on, the durable consumer remembers where it is.
    return ConsumerConfig(
        name=settings.consumer, durable_name=settings.consumer,
        filter_subjects=ending_subjects(), deliver_policy=DeliverPolicy.NEW,
        ack_policy=AckPolicy.EXPLICIT, ack_wait=settings.ack_wait, max_deliver=-1,
        max_ack_pending=1000)


class Poison(Exception):
    pass


class Mailer:
    def __init__(self, nc: NatsClient, settings: Settings, smtp_settings: SmtpSettings) -> None:
        self._nc = nc
        self._settings = settings
        self._smtp = smtp_settings
        self._log = EventLog(nc)

    async def run(self, stop: asyncio.Event) -> None:
        # Sends under way may finish (up to the SMTP timeout): stopping in the middle of
        # one is what makes duplicates. None is cancelled: the process ends them.
        workers = PullWorkers(self._handle, self._settings.concurrency)
        await workers.run(self._nc.jetstream(), STREAM_NAME, self._settings.consumer, stop,
                          self._smtp.timeout + 5, cancel_after_grace=False)

    async def _handle(self, msg: Msg) -> None:
        keepalive = asyncio.create_task(self._keep_alive(msg))
        try:
            await self._deliver(msg)
            metrics.EVENTS.labels("done").inc()
        except Poison as exc:
            metrics.EVENTS.labels("drop").inc()
            log.error("dropping seq=%s: %s", msg.metadata.sequence.stream, exc)
            # Term: no redelivery can make it readable, and it must not stall the rest.
            await self._nc.publish(msg.reply, b"+TERM " + str(exc).encode()[:200])
        except Exception as exc:
            metrics.EVENTS.labels("later").inc()
            delay = self._backoff(msg.metadata.num_delivered)
            log.warning("seq=%s not handled (%r); again in %.1f s",
                        msg.metadata.sequence.stream, exc, delay)
            await msg.nak(delay=delay)  # the whole event again, later (see the docstring)
        finally:
            keepalive.cancel()

    async def _deliver(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        try:
            tenant_id, _ = parse_subject(msg.subject)
            event = decode_event(msg.data)
        except (UnexpectedSubject, UndecodableEvent) as exc:
            raise Poison(str(exc)) from exc
        history = await self._log.history(tenant_id, at_least=seq)
        upto = [(s, e) for s, e in history if s <= seq]
        tenant = fold(upto)
        requested = next((e for _, e in upto if isinstance(e, TenantRequested)), None)
        if tenant is None or requested is None:
            raise Poison(f"no TenantRequested before seq {seq} of tenant {tenant_id}")
        watching = bool(requested.owner_email) and await owner_watching(
            self._nc, tenant.owner, self._settings.presence_wait)
        mails = mails_for(tenant, event, requested, watching)
        settled = 0  # accepted or refused for good: a retry below never repeats one
        for mail in mails:
            attempt = 0
            while True:
                try:
                    await smtp.send(self._smtp, message(mail, event, self._settings.mail_from))
                    metrics.EMAILS.labels(mail.kind, "accepted").inc()
                    log.info("seq=%s tenant=%s: %s email accepted for %s", seq, tenant_id,
                             mail.kind, mail.to)
                    break
                except smtp.Permanent as exc:
                    metrics.EMAILS.labels(mail.kind, "refused").inc()
                    log.error("seq=%s: %s email to %s refused for good: %s", seq, mail.kind,
                              mail.to, exc)
                    break
                except smtp.Transient:
                    if settled == 0:
                        raise  # nothing settled yet: the whole event may be handed back
                    attempt += 1
                    await asyncio.sleep(self._backoff(attempt))
            settled += 1
        await self._ack(msg)  # every email settled: the event is done

    async def _ack(self, msg: Msg) -> None:
        # Confirmed by the server: a lost ack would redeliver, a duplicate without a crash.
        for attempt in range(1, 6):
            try:
                await msg.ack_sync(timeout=2.0)
                return
            except nats.errors.Error as exc:
                if "already acknowledged" in str(exc).lower():
                    return
                log.warning("ack of seq=%s not confirmed (%r); again",
                            msg.metadata.sequence.stream, exc)
                await asyncio.sleep(0.2 * attempt)

    def _backoff(self, attempt: int) -> float:
        backoff = self._settings.backoff
        return backoff[min(max(attempt, 1), len(backoff)) - 1]

    async def _keep_alive(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(self._settings.ack_wait / 3)
            await msg.in_progress()
