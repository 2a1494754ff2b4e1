"""Emails through a real SMTP server: once per event, with two mailers, crashes, outages."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable

from nats.js import JetStreamContext

from tenant_contracts.subjects import STREAM_NAME
from tenantctl.mail_sink import MailSink
from tenantctl.nats_server import NatsServer
from tests.conftest import wait_until
from tests.integration.mailer.support import (
    ADMIN,
    Events,
    MailerProcess,
    consumer_ready,
    drained,
)
from tests.integration.notifier.support import Client, NotifierProcess, token


def _user() -> tuple[str, str]:
    name = f"u-{uuid.uuid4().hex[:8]}"
    return name, f"{name}@owners.test"


async def test_each_email_once_with_two_mailers(two_mailers: list[MailerProcess],
                                                events: Events, sink: MailSink,
                                                js: JetStreamContext) -> None:
    owner, email = _user()
    active = [await events.requested(owner, email, name=f"Shop {i}") for i in range(6)]
    failed = await events.requested(owner, email, name="Broken")
    silent = await events.requested(f"nomail-{owner}", None, name="Quiet")
    for tenant in active:
        await events.active(tenant)
    await events.failed(failed)
    await events.active(silent)
    await wait_until(lambda: len(sink.received()) >= 6 + 6 + 1 + 1, 30)
    await drained(js)
    ids = Counter(str(r.message["Message-ID"]) for r in sink.received())
    assert all(count == 1 for count in ids.values()), ids
    welcomes = sink.to(ADMIN)
    assert len(welcomes) == 7  # six shops and the quiet one: the admin is welcomed anyway
    assert {r.subject for r in welcomes} == {f"Welcome to Shop {i}" for i in range(6)} | {
        "Welcome to Quiet"}
    shop = next(r for r in welcomes if r.subject == "Welcome to Shop 0")
    assert f"tenant_{active[0].hex[:12]}" in shop.body  # names its database
    owners = sink.to(email)
    assert len(owners) == 7 and len(sink.received()) == 14  # none for the owner without one
    broken = next(r for r in owners if "Broken" in r.subject)
    assert "Failed" in broken.subject and "disk full" in broken.body


async def test_no_owner_email_while_a_session_is_open(
        two_mailers: list[MailerProcess], events: Events, sink: MailSink, own_nats: NatsServer,
        js: JetStreamContext) -> None:
    owner, email = _user()
    notifiers = [NotifierProcess(own_nats.url, own_nats.auth).start() for _ in range(2)]
    try:
        # The session is on the second replica: the answer must come from whichever holds it.
        async with Client(notifiers[1].url(token(owner))) as client:
            assert client.frames[0]["type"] == "welcome"  # the session is open
            watched = await events.requested(owner, email, name="Watched")
            await events.active(watched)
            await wait_until(lambda: sink.to(ADMIN), 20)
            await drained(js)
            assert sink.to(email) == []
        unwatched = await events.requested(owner, email, name="Unwatched")
        await events.active(unwatched)
        await wait_until(lambda: sink.to(email), 20)
        assert [r.subject for r in sink.to(email)] == ["Tenant Unwatched: Active"]
    finally:
        for notifier in notifiers:
            notifier.stop()


async def test_smtp_down_then_up_the_email_arrives_once(
        two_mailers: list[MailerProcess], events: Events, sink: MailSink,
        js: JetStreamContext) -> None:
    sink.stop()
    owner, email = _user()
    tenant = await events.requested(owner, email, name="Patient")
    await events.active(tenant)

    async def retried() -> bool:
        info = await js.consumer_info(STREAM_NAME, "mailer")
        return info.num_redelivered > 0

    await wait_until(retried, 20)  # it was tried, refused, and handed back
    sink.start()
    await wait_until(lambda: len(sink.received()) >= 2, 30)
    await drained(js)
    assert sorted(r.recipients[0] for r in sink.received()) == sorted([ADMIN, email])


async def test_kill_9_between_receipt_and_send_still_sends_once(
        start_mailer: Callable[..., MailerProcess], events: Events, sink: MailSink,
        js: JetStreamContext) -> None:
    sink.stop()  # the mailer receives the event but cannot send it
    first = start_mailer()
    await consumer_ready(js)
    owner, email = _user()
    tenant = await events.requested(owner, email, name="Crashed")
    await events.active(tenant)

    async def received() -> bool:
        info = await js.consumer_info(STREAM_NAME, "mailer")
        return info.num_ack_pending > 0 or info.num_redelivered > 0

    await wait_until(received, 20)
    first.kill()
    sink.start()
    start_mailer()
    await wait_until(lambda: len(sink.received()) >= 2, 30)
    await drained(js)
    assert sorted(r.recipients[0] for r in sink.received()) == sorted([ADMIN, email])


async def test_kill_9_during_the_send_at_most_one_duplicate(
        start_mailer: Callable[..., MailerProcess], events: Events, sink: MailSink,
        js: JetStreamContext) -> None:
    first = start_mailer()
    await consumer_ready(js)
    arrived = sink.hold()  # the email is kept, its 250 withheld
    tenant = await events.requested("solo", None, name="Held")
    await events.active(tenant)
    await asyncio.to_thread(arrived.wait, 20)
    assert arrived.is_set()
    first.kill()  # the SMTP server got it; the mailer never heard so, never acked
    sink.release()
    start_mailer()
    await wait_until(lambda: len(sink.received()) >= 2, 30)
    await drained(js)
    assert len(sink.received()) == 2  # one duplicate after the crash, and no more
    assert len({str(r.message["Message-ID"]) for r in sink.received()}) == 1
