"""Drop the read model and replay the whole stream into it (`tenantctl projections rebuild`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg
from nats.js.api import StreamInfo

from tenant_api import read_model
from tenant_api.ddl import create_schema, recreate_read_model
from tenant_api.projection import apply_batch
from tenant_api.projection_runner import StreamBatches
from tenant_contracts.subjects import STREAM_NAME
from tenant_stream.connection import NatsSettings, connect

# A replay that gets nothing for this long has lost its consumer: fail, keep the old model.
STALL_SECONDS = 10.0


@dataclass(frozen=True)
class RebuildReport:
    events: int
    tenants: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def rebuild(database_url: str, nats: NatsSettings) -> RebuildReport:
    """One transaction: readers see the old read model until the new one is complete.

    A running api keeps serving; its projection waits for the commit, notices the
    new position and carries on from there.
    """
    # A one-off command: fail fast instead of retrying like a service.
    nc = await connect(nats, "tenantctl-rebuild", wait=False)
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        await create_schema(conn)  # idempotency keys and friends, if this database is new
        started = time.perf_counter()
        async with conn.transaction():
            await recreate_read_model(conn)
            js = nc.jetstream()
            info: StreamInfo = await js.stream_info(STREAM_NAME)
            first, head = int(info.state.first_seq or 1), int(info.state.last_seq or 0)
            applied = first - 1
            await read_model.set_applied_seq(conn, applied)
            if head > applied:
                batches = StreamBatches(nc, applied, "rebuild")
                batches.start()
                try:
                    while applied < head:
                        applied = await apply_batch(conn, await batches.next(STALL_SECONDS))
                finally:
                    await batches.stop()
            tenants = int(await conn.fetchval("SELECT count(*) FROM tenants"))
        return RebuildReport(events=applied - first + 1, tenants=tenants,
                             seconds=time.perf_counter() - started)
    finally:
        await conn.close()
        await nc.close()
