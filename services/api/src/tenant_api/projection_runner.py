"""Feeds the projection from the stream's ordered feed, starting after the last applied seq."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from tenant_api import read_model
from tenant_api.projection import OutOfStep, StreamMessage, apply_batch
from tenant_stream.feed import OrderedFeed

log = logging.getLogger(__name__)
BATCH_SIZE = 1000
RETRY_DELAY_SECONDS = 0.5


class StreamBatches:
    """The ordered feed as batches: everything already delivered, up to BATCH_SIZE.
    The read model keeps the position, so a feed can always start over from it."""

    def __init__(self, nc: NatsClient, after: int, name: str) -> None:
        # A deque and an Event rather than an asyncio.Queue: a replay puts every
        # message of the stream through here, and a Queue's put and get take about
        # 1 µs a message, five times as long.
        self._messages: deque[StreamMessage | None] = deque()
        self._arrived = asyncio.Event()
        self.feed = OrderedFeed(nc, self._put, position=after, name=name)

    async def _put(self, seq: int, msg: Msg) -> None:
        self._messages.append((seq, msg.subject, msg.data))
        self._arrived.set()

    def start(self) -> None:
        self.feed.start()

    async def stop(self) -> None:
        await self.feed.stop()

    def wake(self) -> None:
        """End a wait in next() with an empty batch (the runner is stopping)."""
        self._messages.append(None)
        self._arrived.set()

    async def next(self, timeout: float | None) -> list[StreamMessage]:
        """Wait for one message, then take whatever else is already there."""
        async with asyncio.timeout(timeout):
            while not self._messages:
                self._arrived.clear()
                await self._arrived.wait()
        first = self._messages.popleft()
        batch = [first] if first is not None else []
        while first is not None and len(batch) < BATCH_SIZE and self._messages:
            message = self._messages.popleft()
            if message is not None:
                batch.append(message)
        return batch


class ProjectionRunner:
    def __init__(self, nc: NatsClient, pool: asyncpg.Pool, head: Callable[[], Awaitable[int]],
                 *, paused: bool = False, on_applied: Callable[[int], None] | None = None) -> None:
        self._nc = nc
        self._pool = pool
        self._head = head
        self._on_applied = on_applied or (lambda seq: None)
        self._running = asyncio.Event()
        if not paused:
            self._running.set()
        self.caught_up = asyncio.Event()
        self.start_head: int | None = None
        self.batches: StreamBatches | None = None
        self._stopping = False

    def stopping(self) -> None:
        """Leave the loop at the next step. Besides cancelling the task: a dependency's
        clean-up (asyncpg's) has been seen to swallow a cancellation."""
        self._stopping = True
        self._running.set()
        if self.batches is not None:
            self.batches.wake()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def problem(self) -> str | None:
        if self.batches is None:
            return "projection not started"
        return self.batches.feed.problem

    async def run(self) -> None:
        while not self._stopping:
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
        self.batches = batches = StreamBatches(self._nc, applied, "projection")
        batches.start()
        try:
            while not self._stopping:
                await self._running.wait()
                batch = await batches.next(timeout=None)
                await self._running.wait()
                if not batch:
                    continue
                async with self._pool.acquire() as conn:
                    applied = await apply_batch(conn, batch)
                self._report(applied)
                if applied < batch[-1][0]:
                    raise OutOfStep(applied)  # the read model moved (a rebuild): follow it
        finally:
            await batches.stop()

    def _report(self, applied: int) -> None:
        self._on_applied(applied)
        if self.start_head is not None and applied >= self.start_head:
            self.caught_up.set()
