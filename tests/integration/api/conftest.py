"""The api's tests run against a nats-server of their own.

A provisioner running against the session's server (the end-to-end platform)
would act on the requests these tests append and race their status checks; a
server of our own also makes "rebuild equals live" exact.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from nats.aio.client import Client as NATS

from tenant_stream.setup import ensure_stream
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster
from tests.conftest import nats_url_as, unique_database
from tests.integration.api.support import (
    Api,
    Provisioner,
    running_api,
    settings,
)


@pytest.fixture(scope="package")
def api_nats() -> Iterator[NatsServer]:
    with temporary_nats_server("api-nats-") as server:
        yield server


@pytest.fixture(scope="package")
async def api_database(postgres: PostgresCluster, admin_database_url: str) -> str:
    return await unique_database(postgres, "api")


@pytest.fixture(scope="package")
async def api(api_nats: NatsServer, api_database: str) -> AsyncIterator[Api]:
    """One app for most tests; they use their own users and slugs."""
    async with running_api(settings(nats_url_as(api_nats, "api"), api_database, dev_tokens=True,
                                    notifier_public_url="ws://localhost:9/ws")) as running:
        yield running


@pytest.fixture
async def api_nc(api_nats: NatsServer) -> AsyncIterator[NATS]:
    client = await nats.connect(**api_nats.connect_options("admin"))
    await ensure_stream(client.jetstream(), replicas=1)
    yield client
    await client.close()


@pytest.fixture
def provisioner(api_nc: NATS) -> Provisioner:
    return Provisioner(api_nc)
