"""Stopping background tasks that call into nats-py.

nats-py swallows a CancelledError that arrives while it flushes its write buffer
(`Client._flush_pending` catches it and returns), so one `task.cancel()` can be
lost and the task goes on; a stop that awaits it then hangs for ever. So: cancel
until done, and give each task a flag to leave its loop as well."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

CANCEL_EVERY_SECONDS = 0.2


async def cancel_and_wait(task: asyncio.Task[None], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_EVERY_SECONDS)
        if loop.time() > deadline:
            log.warning("task %s did not stop within %.0fs", task.get_name(), timeout)
            return
    if not task.cancelled() and task.exception() is not None:
        log.warning("task %s ended with %r", task.get_name(), task.exception())
