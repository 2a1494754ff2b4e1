"""One call shared by every concurrent caller that asked before it started.

Opening 10,000 sessions used to ask NATS for the stream's head 10,000 times (one
request per connect without `after`), which made opening them several times
slower than the fan-out itself needed. Callers now join the next call; none is
ever answered by a call that started before it asked, so `_now` still starts a
session past everything the stream held when it connected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class SharedCall:
    def __init__(self, call: Callable[[], Awaitable[None]]) -> None:
        self._call = call
        self._running: asyncio.Task[None] | None = None  # started; may predate a caller
        self._next: asyncio.Task[None] | None = None  # not started yet: callers join it
        self._waiters: list[asyncio.Future[None]] = []  # the callers of the next round

    async def __call__(self) -> None:
        if self._next is None:
            self._next = asyncio.create_task(self._round(self._running))
        # A future of its own per caller (cheaper than a shield each): one that gives up
        # (its own timeout) cancels only that, never the others' call.
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    async def _round(self, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # it may have started before some of us asked
        self._running, self._next = self._next, None  # later callers wait for a new round
        waiters, self._waiters = self._waiters, []
        try:
            await self._call()
        except asyncio.CancelledError:
            for waiter in waiters:
                waiter.cancel()
            raise
        except Exception as exc:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
        else:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
