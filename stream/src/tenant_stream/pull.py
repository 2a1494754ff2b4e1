"""The fetch loop of a durable pull consumer, shared by the provisioner and the mailer:
each message handled in a task of its own, at most `concurrency` at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

log = logging.getLogger(__name__)

FETCH_SECONDS = 1.0  # short fetches: a stop ends fetching within a second


class PullWorkers:
    """`handle` settles each message itself (ack, nak or term): the loop only fetches."""

    def __init__(self, handle: Callable[[Msg], Coroutine[Any, Any, None]],
                 concurrency: int) -> None:
        self._handle = handle
        self._concurrency = concurrency
        self._inflight: set[asyncio.Task[None]] = set()

    def in_flight(self) -> int:
        return len(self._inflight)

    async def run(self, js: JetStreamContext, stream: str, consumer: str,
                  stop: asyncio.Event, grace: float, *, cancel_after_grace: bool) -> None:
        """Fetch until `stop`, then wait up to `grace` for the messages in hand. Those
        still running after it are cancelled when `cancel_after_grace` (their handler
        hands them back), else left to end with the process."""
        sub = await js.pull_subscribe_bind(consumer=consumer, stream=stream)
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                if len(self._inflight) >= self._concurrency:
                    await asyncio.wait({stopping, *self._inflight},
                                       return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    msgs = await sub.fetch(1, timeout=FETCH_SECONDS)
                except nats.errors.TimeoutError:
                    continue
                except Exception as exc:
                    # NATS unreachable, or the consumer gone (re-created by whoever
                    # keeps it; readiness says so meanwhile): fetch again shortly.
                    log.warning("fetch from %s failed; retrying: %r", consumer, exc)
                    await asyncio.wait({stopping}, timeout=FETCH_SECONDS)
                    continue
                for msg in msgs:
                    task = asyncio.create_task(self._handle(msg))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
            await self._drain(grace, cancel_after_grace)
        finally:
            stopping.cancel()
            # A pull subscription left open keeps the connection's drain waiting.
            try:
                await sub.unsubscribe()
            except Exception as exc:
                log.debug("pull subscription not unsubscribed: %r", exc)

    async def _drain(self, grace: float, cancel: bool) -> None:
        if not self._inflight:
            return
        log.info("stopping: %d message(s) in hand, grace %.0fs", len(self._inflight), grace)
        _, unfinished = await asyncio.wait(set(self._inflight), timeout=grace)
        if cancel:
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
