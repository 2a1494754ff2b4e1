"""The mailer's /healthz, /readyz and /metrics (MAILER_PORT), as a probe and a scraper
see them on a real process."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import Callable

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from tenant_stream.setup import ensure_stream
from tenantctl.mail_sink import MailSink
from tests.conftest import wait_until
from tests.integration.mailer.support import Events, MailerProcess, drained


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


async def probe_port(mailer: MailerProcess, path: str = "/readyz") -> int:
    """The mailer's MAILER_PORT, once `path` answers 200."""
    assert mailer.service is not None
    port = int(mailer.service.env["MAILER_PORT"])
    await wait_until(lambda: asyncio.to_thread(lambda: get(port, path)[0] == 200), 20)
    return port


def metric(text: str, line_start: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith(line_start)]
    return sum(values)


async def test_ready_once_consuming_and_the_emails_counted(
        start_mailer: Callable[..., MailerProcess], events: Events, sink: MailSink,
        js: JetStreamContext) -> None:
    port = await probe_port(start_mailer())
    assert get(port, "/healthz")[0] == 200

    tenant = await events.requested("probe-owner", "probe@owners.test")
    await events.active(tenant)
    await wait_until(lambda: len(sink.received()) >= 2, 20)
    await drained(js)
    status, text = get(port, "/metrics")
    assert status == 200
    assert metric(text, 'mailer_emails_total{kind="welcome",outcome="accepted"}') == 1
    assert metric(text, 'mailer_emails_total{kind="owner",outcome="accepted"}') == 1
    assert metric(text, 'mailer_events_total{outcome="done"}') == 1
    assert metric(text, "mailer_consumer_pending") == 0


async def test_not_ready_while_its_consumer_cannot_be_made(
        start_mailer: Callable[..., MailerProcess], js: JetStreamContext) -> None:
    await js.delete_stream("TENANTS")  # the api and the provisioner create it, not the mailer
    port = await probe_port(start_mailer(), "/healthz")
    status, text = get(port, "/readyz")
    assert status == 503 and "consumer" in text, text
    # The stream arrives (the api or the provisioner makes it): ready without a restart.
    await ensure_stream(js, replicas=1)
    await wait_until(lambda: asyncio.to_thread(lambda: get(port, "/readyz")[0] == 200), 20)


async def test_its_consumer_deleted_at_run_time_comes_back(
        start_mailer: Callable[..., MailerProcess], events: Events, sink: MailSink,
        js: JetStreamContext) -> None:
    await probe_port(start_mailer())  # consuming
    await js.delete_consumer("TENANTS", "mailer")

    async def consumer_back() -> bool:
        try:
            await js.consumer_info("TENANTS", "mailer")
            return True
        except NotFoundError:
            return False

    await wait_until(consumer_back, 20)
    # And it mails again: an event stored after the consumer came back is sent.
    tenant = await events.requested("back-owner", None)
    await events.active(tenant)
    await wait_until(lambda: len(sink.received()) >= 1, 20)
