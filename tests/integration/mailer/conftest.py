from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import nats
import pytest
from nats.js import JetStreamContext

from tenant_stream.setup import ensure_stream
from tenantctl.mail_sink import MailSink
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.ports import free_port
from tests.integration.mailer.support import Events, MailerProcess, consumer_ready


@pytest.fixture
def own_nats() -> Iterator[NatsServer]:
    # A server per test: the mailer's durable consumer starts with that test's events.
    with temporary_nats_server("mailer-nats-") as server:
        yield server


@pytest.fixture
async def js(own_nats: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(**own_nats.connect_options("admin"))
    await ensure_stream(client.jetstream(), replicas=1)
    yield client.jetstream()
    await client.close()


@pytest.fixture
def events(js: JetStreamContext) -> Events:
    return Events(js)


@pytest.fixture
def sink() -> Iterator[MailSink]:
    server = MailSink(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
async def start_mailer(own_nats: NatsServer, sink: MailSink, js: JetStreamContext
                       ) -> AsyncIterator[Callable[..., MailerProcess]]:
    started: list[MailerProcess] = []

    def start(**env: str) -> MailerProcess:
        process = MailerProcess(own_nats.env("mailer"), sink.url, env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
async def two_mailers(start_mailer: Callable[..., MailerProcess], js: JetStreamContext
                      ) -> list[MailerProcess]:
    mailers = [start_mailer(), start_mailer()]
    await consumer_ready(js)
    return mailers
