from __future__ import annotations

import uuid
from collections.abc import Iterator

import asyncpg
import pytest

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
def platform(nats_url: str, stream: str, read_model_url: str,
             admin_database_url: str) -> Iterator[Platform]:
    """The three services as separate processes against the session's servers."""
    running = Platform(nats_url=nats_url, database_url=read_model_url,
                       provisioner_database_url=admin_database_url).start()
    yield running
    running.stop()
