from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import StreamConfig

from tenant_contracts.stream import stream_config
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tests.integration.provisioner.support import Provisioners


@pytest.fixture
def own_nats() -> Iterator[NatsServer]:
    """A nats-server of the test's own: a durable 'provisioner' consumer on the shared
    server would hand this test's requests to other tests' provisioners."""
    with temporary_nats_server("prov-nats-") as server:
        yield server


@pytest.fixture
async def client(own_nats: NatsServer) -> AsyncIterator[NATS]:
    nc = await nats.connect(**own_nats.connect_options("admin"))
    yield nc
    await nc.close()


@pytest.fixture
def provisioners(own_nats: NatsServer, admin_database_url: str) -> Iterator[Provisioners]:
    group = Provisioners(nats_url=own_nats.url, nats_credentials=own_nats.auth,
                         database_url=admin_database_url)
    yield group
    group.stop_all()


@pytest.fixture
async def js(client: NATS) -> JetStreamContext:
    """JetStream with the TENANTS stream (identical config: the provisioner's own
    ensure at start leaves it as it is)."""
    context = client.jetstream()
    await context.add_stream(StreamConfig.from_response(stream_config(replicas=1)))
    return context
