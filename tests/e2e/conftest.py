from __future__ import annotations

from collections.abc import Iterator

import pytest

from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster
from tests.conftest import unique_database
from tests.e2e.harness import Platform


@pytest.fixture(scope="session")
async def read_model_url(postgres: PostgresCluster) -> str:
    return await unique_database(postgres, "read_model")


@pytest.fixture(scope="session")
def platform_nats() -> Iterator[NatsServer]:
    # A server of its own: the platform's provisioner and projection would
    # otherwise act on what other tests append to the session's stream.
    with temporary_nats_server("tp-e2e-nats-") as server:
        yield server


@pytest.fixture(scope="session")
def platform(platform_nats: NatsServer, read_model_url: str,
             admin_database_url: str) -> Iterator[Platform]:
    """The three services as separate processes, on real NATS and PostgreSQL."""
    assert platform_nats.auth is not None
    running = Platform(nats_url=platform_nats.url, nats_credentials=platform_nats.auth,
                       database_url=read_model_url,
                       provisioner_database_url=admin_database_url).start()
    yield running
    running.stop()
