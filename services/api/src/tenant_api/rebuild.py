"""Drop the read model and replay the whole stream into it (`tenantctl projections rebuild`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg
import nats
from nats.js.api import StreamInfo

from tenant_api import read_model
from tenant_api.projection import apply_batch
from tenant_api.projection_runner import as_stream_messages, next_batch, open_ordered
from tenant_api.schema import create_schema, recreate_read_model
from tenant_contracts.subjects import STREAM_NAME

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


async def _ignore(error: Exception) -> None:
    """The failure reaches the caller as the connect's exception; no traceback spam."""


async def rebuild(database_url: str, nats_url: str) -> RebuildReport:
    """One transaction: readers see the old read model until the new one is complete.

    A running api keeps serving; its projection waits for the commit, notices the
    new position and carries on from there.
    """
    # A one-off command: fail fast instead of retrying like a service.
    nc = await nats.connect(nats_url, name="tenantctl-rebuild", allow_reconnect=False,
                            max_reconnect_attempts=1, reconnect_time_wait=0.5,
                            connect_timeout=5, error_cb=_ignore)
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
                sub = await open_ordered(js, first)
                try:
                    while applied < head:
                        batch = as_stream_messages(await next_batch(sub, timeout=STALL_SECONDS))
                        applied = await apply_batch(conn, batch)
                        if applied < batch[-1][0]:  # a delivery was lost: resume after it
                            await sub.unsubscribe()
                            sub = await open_ordered(js, applied + 1)
                finally:
                    await sub.unsubscribe()
            tenants = int(await conn.fetchval("SELECT count(*) FROM tenants"))
        return RebuildReport(events=applied - first + 1, tenants=tenants,
                             seconds=time.perf_counter() - started)
    finally:
        await conn.close()
        await nc.close()
