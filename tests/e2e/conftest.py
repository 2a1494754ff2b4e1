from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tenantctl.nats_server import NatsServer
from tenantctl.postgres import PostgresCluster
from tests.e2e.harness import Platform


@pytest.fixture(scope="session")
async def read_model_url(postgres: PostgresCluster, admin_database_url: str) -> str:
    name = f"read_model_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_database_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return postgres.url(name)


@pytest.fixture(scope="session")
def platform_nats() -> Iterator[NatsServer]:
    # A server of its own: the platform's provisioner and projection would
    # otherwise act on what other tests append to the session's stream.
    store = Path(tempfile.mkdtemp(prefix="tp-e2e-nats-"))
    server = NatsServer(store_dir=store).start()
    yield server
    server.stop()
    shutil.rmtree(store, ignore_errors=True)


@pytest.fixture(scope="session")
def platform(platform_nats: NatsServer, read_model_url: str,
             admin_database_url: str) -> Iterator[Platform]:
    """The three services as separate processes, on real NATS and PostgreSQL."""
    running = Platform(nats_url=platform_nats.url, database_url=read_model_url,
                       provisioner_database_url=admin_database_url).start()
    yield running
    running.stop()
