"""Drop the read model and replay the whole stream into it (`tenantctl projections rebuild`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg
from nats.js.api import StreamInfo

from tenant_api import read_model
from tenant_api.ddl import create_schema, recreate_read_model
from tenant_api.projection import StreamMessage, consecutive, decode_message
from tenant_api.projection_runner import StreamBatches
from tenant_api.read_model_image import ReadModelImage
from tenant_contracts.subjects import STREAM_NAME
from tenant_stream.connection import NatsSettings, connect

# A replay that gets nothing for this long has lost its consumer: fail, keep the old model.
STALL_SECONDS = 10.0


@dataclass(frozen=True)
class RebuildReport:
    events: int
    tenants: int
    seconds: float
    cpu_seconds: float  # of this process: on a shared machine, steadier than `seconds`

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class RebuildGap(Exception):
    """The feed skipped a seq: the rebuild fails and the old read model stays."""


async def rebuild(database_url: str, nats: NatsSettings) -> RebuildReport:
    """One transaction: readers see the old read model until the new one is complete.

    A running api keeps serving; its projection waits for the commit, notices the
    new position and carries on from there.

    The new read model starts empty, so the stream is folded in memory, batch by
    batch as the feed delivers it (ReadModelImage: what apply_batch would make of
    it), and written once at the end: a COPY per table, the position last.
    """
    # A one-off command: fail fast instead of retrying like a service.
    nc = await connect(nats, "tenantctl-rebuild", wait=False)
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        await create_schema(conn)  # idempotency keys and friends, if this database is new
        started, cpu_started = time.perf_counter(), time.process_time()
        info: StreamInfo = await nc.jetstream().stream_info(STREAM_NAME)
        first, head = int(info.state.first_seq or 1), int(info.state.last_seq or 0)
        batches = StreamBatches(nc, first - 1, "rebuild")
        if head >= first:
            batches.start()  # reads while the tables are dropped and created
        try:
            async with conn.transaction():
                await recreate_read_model(conn)
                image, applied = ReadModelImage(), first - 1
                while applied < head:
                    applied = _apply(image, applied, await batches.next(STALL_SECONDS))
                await read_model.fill_empty(conn, image.tenants.values(), image.slugs.items())
                await read_model.set_applied_seq(conn, applied)
        finally:
            await batches.stop()
        return RebuildReport(events=applied - first + 1, tenants=len(image.tenants),
                             seconds=time.perf_counter() - started,
                             cpu_seconds=time.process_time() - cpu_started)
    finally:
        await conn.close()
        await nc.close()


def _apply(image: ReadModelImage, applied: int, batch: list[StreamMessage]) -> int:
    """Fold one batch into the image; returns the seq now applied."""
    unseen = [m for m in batch if m[0] > applied]  # as apply_batch: a redelivery is a no-op
    fresh = consecutive(unseen, applied)
    if len(fresh) < len(unseen):
        # apply_batch would stop at the gap and wait for ever: fail instead.
        raise RebuildGap(f"the stream's feed skipped from seq {applied + len(fresh)} "
                         f"to {unseen[len(fresh)][0]}")
    image.apply([(seq, decode_message(seq, subject, data)) for seq, subject, data in fresh])
    return fresh[-1][0] if fresh else applied
