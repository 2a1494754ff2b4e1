from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import nats
import pytest

from tenantctl.nats_auth import NatsCredentials
from tests.integration.notifier.support import Appender, NotifierProcess


@pytest.fixture(scope="module")
def notifier(nats_url: str, nats_credentials: NatsCredentials,
             stream: str) -> Iterator[NotifierProcess]:
    """One notifier shared by a module's tests: short pings so dead sessions go fast."""
    process = NotifierProcess(nats_url, nats_credentials,
                              env={"NOTIFIER_PING_INTERVAL_SECONDS": "1",
                                   "NOTIFIER_SESSION_BUFFER": "256"}).start()
    yield process
    process.stop()


@pytest.fixture
def start_notifier(nats_url: str, nats_credentials: NatsCredentials,
                   stream: str) -> Iterator[Callable[..., NotifierProcess]]:
    """Start notifiers of a test's own (to kill, stop or configure); all stopped after it."""
    started: list[NotifierProcess] = []

    def start(**env: str) -> NotifierProcess:
        process = NotifierProcess(nats_url, nats_credentials, env=env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
async def appender(nc: nats.NATS) -> AsyncIterator[Appender]:
    yield Appender(nc.jetstream())
