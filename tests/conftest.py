"""Session fixtures: one real nats-server and one real PostgreSQL cluster.

Both are started once per test session on free ports, in throwaway
directories; tests use unique ids instead of cleaning up after each other.
The nats-server has its principals (tenantctl.nats_auth) like every deployment:
setup and inspection connect as `admin`, each service process as itself.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import nats
import pytest
from nats.js.api import StreamConfig

from tenant_contracts.stream import stream_config
from tenantctl.nats_auth import NatsCredentials
from tenantctl.nats_server import (
    NatsCluster,
    NatsServer,
    temporary_nats_cluster,
    temporary_nats_server,
)
from tenantctl.postgres import PostgresCluster, create_database

JWT_SECRET = "test-secret-that-is-long-enough-for-hs256!"  # same as tests/e2e/harness.py


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    with temporary_nats_server() as server:
        yield server


@pytest.fixture(scope="session")
def nats_cluster() -> Iterator[NatsCluster]:
    """A three-node JetStream cluster, started for the first test that asks."""
    with temporary_nats_cluster("tp-cluster-") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster.temporary().init().start()
    yield cluster
    cluster.remove()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture(scope="session")
def nats_credentials(nats_server: NatsServer) -> NatsCredentials:
    assert nats_server.auth is not None
    return nats_server.auth


@pytest.fixture(scope="session")
async def stream(nats_server: NatsServer) -> AsyncIterator[str]:
    """The TENANTS stream, created once with the contract's configuration."""
    nc = await nats.connect(**nats_server.connect_options("admin"))
    js = nc.jetstream()
    await js.add_stream(StreamConfig.from_response(stream_config(replicas=1)))
    yield "TENANTS"
    await nc.close()


@pytest.fixture
async def nc(nats_server: NatsServer, stream: str) -> AsyncIterator[nats.NATS]:
    client = await nats.connect(**nats_server.connect_options("admin"))
    yield client
    await client.close()


@pytest.fixture(scope="session")
def admin_database_url(postgres: PostgresCluster) -> str:
    return postgres.url("postgres")


@pytest.fixture
async def fresh_database(admin_database_url: str, postgres: PostgresCluster) -> str:
    """A new empty database, for tests that need one of their own."""
    return await unique_database(postgres, "test")


async def unique_database(postgres: PostgresCluster, prefix: str) -> str:
    """Creates an empty database with a unique name; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await create_database(postgres.url("postgres"), name)
    return postgres.url(name)


def nats_url_as(server: NatsServer, principal: str) -> str:
    """The server's URL with a principal's credentials in it, for code under test that
    takes one URL (an in-process app's settings, rebuild): nats-py reads them from it."""
    assert server.auth is not None
    scheme, address = server.url.split("://", 1)
    return f"{scheme}://{principal}:{server.auth.password(principal)}@{address}"


async def wait_until(
    predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05
) -> Any:
    """Poll an (async) predicate until it returns something truthy, or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
