"""Feeds the projection from an ordered consumer that starts after the last applied seq."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from tenant_api import read_model
from tenant_api.projection import OutOfStep, StreamMessage, apply_batch
from tenant_contracts.subjects import ALL_SUBJECTS, STREAM_NAME

log = logging.getLogger(__name__)
BATCH_SIZE = 1000
RETRY_DELAY_SECONDS = 0.5


async def open_ordered(js: JetStreamContext, start_seq: int) -> JetStreamContext.PushSubscription:
    # Ordered consumers are ephemeral, unacked and in memory: the read model keeps
    # the position, so nothing is lost when one goes away.
    return await js.subscribe(
        ALL_SUBJECTS, stream=STREAM_NAME, ordered_consumer=True,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        config=ConsumerConfig(opt_start_seq=start_seq), idle_heartbeat=2.0,
    )


async def next_batch(sub: JetStreamContext.PushSubscription, timeout: float | None) -> list[Msg]:
    """Wait for one message, then take whatever else is already buffered."""
    batch = [await sub.next_msg(timeout=timeout)]
    while len(batch) < BATCH_SIZE and sub.pending_msgs > 0:
        batch.append(await sub.next_msg())
    return batch


def as_stream_messages(batch: list[Msg]) -> list[StreamMessage]:
    return [(m.metadata.sequence.stream, m.data) for m in batch]


class ProjectionRunner:
    def __init__(self, js: JetStreamContext, pool: asyncpg.Pool, head: Callable[[], Awaitable[int]],
                 *, paused: bool = False, on_applied: Callable[[int], None] | None = None) -> None:
        self._js = js
        self._pool = pool
        self._head = head
        self._on_applied = on_applied or (lambda seq: None)
        self._running = asyncio.Event()
        if not paused:
            self._running.set()
        self.caught_up = asyncio.Event()
        self.start_head: int | None = None

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    async def run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except OutOfStep as exc:
                log.info("projection restarts after seq %d (%s)", exc.applied_seq, exc)
            except Exception:
                # NATS or PostgreSQL trouble: the position is safe in the database,
                # so start over from it once they answer again.
                log.exception("projection stopped; restarting from the last applied seq")
                await asyncio.sleep(RETRY_DELAY_SECONDS)

    async def _follow(self) -> None:
        if self.start_head is None:
            self.start_head = await self._head()
        async with self._pool.acquire() as conn:
            applied = await read_model.applied_seq(conn)
        self._report(applied)
        sub = await open_ordered(self._js, applied + 1)
        try:
            while True:
                await self._running.wait()
                batch = as_stream_messages(await next_batch(sub, timeout=None))
                await self._running.wait()
                async with self._pool.acquire() as conn:
                    applied = await apply_batch(conn, batch)
                self._report(applied)
                if applied < batch[-1][0]:
                    raise OutOfStep(applied)  # a delivery was lost: resubscribe after it
        finally:
            await sub.unsubscribe()

    def _report(self, applied: int) -> None:
        self._on_applied(applied)
        if self.start_head is not None and applied >= self.start_head:
            self.caught_up.set()
