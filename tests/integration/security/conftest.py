"""A nats-server of the security tests' own, configured exactly as `tenantctl dev`
configures it (tenantctl.nats_auth): the tests try to damage its stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from tenant_contracts.subjects import REQUEST_SUBJECTS
from tenant_stream.setup import ensure_consumer, ensure_stream
from tenantctl.nats_auth import PROVISIONER_CONSUMER, cli_connection_options
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tests.integration.security.support import Principal


@pytest.fixture(scope="package")
def guarded_nats() -> Iterator[NatsServer]:
    with temporary_nats_server("security-nats-") as server:
        yield server


@pytest.fixture(scope="package")
async def guarded_stream(guarded_nats: NatsServer) -> AsyncIterator[NatsServer]:
    """The stream, created by a service at its start, and the provisioner's durable
    consumer, created by the provisioner itself: no admin step before them."""
    api = await Principal.connect(guarded_nats, "api")
    await ensure_stream(api.js(5), replicas=1)
    provisioner = await Principal.connect(guarded_nats, "provisioner")
    await ensure_consumer(provisioner.js(5), ConsumerConfig(
        name=PROVISIONER_CONSUMER, durable_name=PROVISIONER_CONSUMER,
        filter_subjects=list(REQUEST_SUBJECTS), ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL, max_deliver=5))
    assert api.violations == provisioner.violations == []
    await api.close()
    await provisioner.close()
    yield guarded_nats


@pytest.fixture
async def login(guarded_stream: NatsServer
                ) -> AsyncIterator[Callable[[str], Awaitable[Principal]]]:
    """`await login("api")`: a client connected as that principal, closed after the test."""
    opened: list[Principal] = []

    async def connect(name: str) -> Principal:
        opened.append(await Principal.connect(guarded_stream, name))
        return opened[-1]

    yield connect
    for principal in opened:
        await principal.close()


def cli_as(server: NatsServer, principal: str) -> list[str]:
    assert server.auth is not None
    return cli_connection_options(server.url, server.auth, principal,
                                  str(server.tls.ca_file) if server.tls else None)
