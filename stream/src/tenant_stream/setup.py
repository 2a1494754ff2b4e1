"""Create the TENANTS stream and durable consumers, and put them back when they vanish.

Every service calls `ensure_stream` at start and keeps a `Keeper` running: a stream
or consumer deleted at run time (by an admin, or lost with a cluster's state) is
re-created with the configured replicas, and readiness says "not ready" meanwhile.
Creation never edits: an existing stream or consumer is left as its operator
configured it (only the `admin` principal may edit).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StreamConfig, StreamInfo
from nats.js.errors import APIError, NotFoundError

from tenant_contracts.stream import stream_config
from tenant_contracts.subjects import STREAM_NAME
from tenant_stream.tasks import cancel_and_wait

log = logging.getLogger(__name__)

STREAM_NAME_IN_USE = 10058  # created meanwhile by another process (its config stands)
CHECK_INTERVAL_SECONDS = 2.0
NOT_CHECKED = "not checked yet"


async def ensure_stream(js: JetStreamContext, replicas: int) -> StreamInfo:
    """The stream's info, after creating it if it was missing."""
    try:
        return await js.stream_info(STREAM_NAME)
    except NotFoundError:
        pass
    try:
        info = await js.add_stream(StreamConfig.from_response(stream_config(replicas)))
    except APIError as exc:
        if exc.err_code != STREAM_NAME_IN_USE:
            raise
        return await js.stream_info(STREAM_NAME)  # another process created it meanwhile
    log.info("created stream %s with %d replica(s)", STREAM_NAME, replicas)
    return info


async def ensure_consumer(js: JetStreamContext, config: ConsumerConfig) -> bool:
    """Create the durable consumer when it is missing (True); leave an existing one alone."""
    name = config.durable_name or config.name
    assert name, "a durable consumer has a name"
    try:
        await js.consumer_info(STREAM_NAME, name)
        return False
    except NotFoundError:
        pass
    await js.add_consumer(STREAM_NAME, config)
    log.info("created consumer %s on %s", name, STREAM_NAME)
    return True


@dataclass
class Keeper:
    """Checks every CHECK_INTERVAL_SECONDS that the stream (and the durable consumer,
    if any) exist, and re-creates what is missing. `problem` is None when all is in
    place, else why not: readiness reports it."""

    js: JetStreamContext
    replicas: int
    consumer: ConsumerConfig | None = None
    on_repaired: Callable[[], Awaitable[None]] | None = None
    # False: wait for the stream rather than create it (the mailer: its consumer starts
    # at new events, so a stream it made would only hide that the others are missing).
    creates_stream: bool = True
    problem: str | None = NOT_CHECKED
    created_at: datetime | None = None  # the stream's creation time: which stream we use
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def check(self) -> None:
        try:
            info = await (ensure_stream(self.js, self.replicas) if self.creates_stream
                          else self.js.stream_info(STREAM_NAME))
            if self.consumer is not None:
                await ensure_consumer(self.js, self.consumer)
        except (NatsError, APIError, OSError, TimeoutError) as exc:
            self.problem = f"stream or consumer not available: {exc!r}"
            log.warning("%s", self.problem)
            return
        self.problem = None
        # Whoever re-created it (this process or another), it is a new stream now.
        replaced = self.created_at is not None and info.created != self.created_at
        self.created_at = info.created
        if replaced:
            log.warning("%s was re-created after it vanished", STREAM_NAME)
            if self.on_repaired is not None:
                await self.on_repaired()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="stream-keeper")

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(CHECK_INTERVAL_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
