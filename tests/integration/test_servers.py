"""The session servers are real: JetStream with the contract's stream, and PostgreSQL."""

from __future__ import annotations

import asyncpg
import nats

from tenant_contracts.subjects import STREAM_NAME


async def test_stream_has_the_contract_configuration(nc: nats.NATS) -> None:
    info = await nc.jetstream().stream_info(STREAM_NAME)
    assert info.config.subjects == ["tenants.>"]
    assert info.config.deny_delete and info.config.deny_purge and info.config.allow_direct


async def test_postgres_answers(admin_database_url: str) -> None:
    conn = await asyncpg.connect(admin_database_url)
    try:
        assert (await conn.fetchval("SHOW server_version_num")) >= "150000"
    finally:
        await conn.close()
