"""Connections and background work of one api process, opened in the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import nats
from nats.aio.client import Client as NatsClient

from tenant_api import idempotency
from tenant_api.commands import TenantCommands
from tenant_api.ddl import create_schema
from tenant_api.metrics import Metrics
from tenant_api.ops_data import OpsReader
from tenant_api.projection_runner import ProjectionRunner
from tenant_api.queries import TenantQueries
from tenant_api.roster import Roster
from tenant_api.settings import Settings
from tenant_stream.connection import close, connect
from tenant_stream.event_log import EventLog
from tenant_stream.setup import Keeper
from tenant_stream.tasks import cancel_and_wait

log = logging.getLogger(__name__)
CONNECT_RETRY_SECONDS = 0.5
PURGE_INTERVAL_SECONDS = 3600.0
PENDING_CHECK_SECONDS = 5.0
STOP_TASKS_SECONDS = 5.0
T = TypeVar("T")


class NotReady(Exception):
    """NATS or PostgreSQL has not answered yet since the process started."""


class Runtime:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._projection_paused = False
        self.nc: NatsClient | None = None
        self.pool: asyncpg.Pool | None = None
        self.projection: ProjectionRunner | None = None
        self.keeper: Keeper | None = None
        self.stream_recreated: str | None = None
        self._commands: TenantCommands | None = None
        self._queries: TenantQueries | None = None
        self._ops: OpsReader | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.started = asyncio.Event()

    @property
    def commands(self) -> TenantCommands:
        if self._commands is None:
            raise NotReady("still connecting to NATS and PostgreSQL")
        return self._commands

    @property
    def queries(self) -> TenantQueries:
        if self._queries is None:
            raise NotReady("still connecting to NATS and PostgreSQL")
        return self._queries

    def hold_projection(self) -> None:
        """Start with the read model held back until `projection.resume()`: how the
        tests show that a 202's own row answers every read."""
        self._projection_paused = True

    @property
    def ops(self) -> OpsReader:
        if self._ops is None:
            raise NotReady("still connecting to NATS and PostgreSQL")
        return self._ops

    def start(self) -> None:
        # Connecting runs in the background so that the process is up (and /readyz
        # says why it is not ready) while NATS or PostgreSQL are still starting.
        self._tasks.append(asyncio.create_task(self._connect(), name="api-connect"))

    async def _connect(self) -> None:
        self.nc = nc = await connect(self._settings.nats, "tenant-api",
                                     reconnected_cb=self._on_reconnected)
        store = EventLog(nc, append_deadline=self._settings.append_deadline)
        # Created at start if missing, and re-created at run time if it vanishes.
        self.keeper = Keeper(nc.jetstream(), self._settings.stream_replicas,
                             on_repaired=self._on_stream_repaired)
        await _retry("the TENANTS stream", self._keeper_check)
        self.keeper.start()
        pool = await _retry("PostgreSQL", lambda: asyncpg.create_pool(
            self._settings.database_url, min_size=1, max_size=10, reset=_keep_session))
        self.pool = pool
        await _retry("the read model's tables", lambda: _create_schema(pool))
        self.projection = ProjectionRunner(nc, pool, store.head,
                                           paused=self._projection_paused,
                                           on_applied=self._metrics.projected_seq.set)
        self._tasks.append(asyncio.create_task(self.projection.run(), name="api-projection"))
        self._tasks.append(asyncio.create_task(_purge_keys_hourly(pool), name="api-key-purge"))
        self._commands = commands = TenantCommands(store, pool, self._metrics.count_append,
                                                   self._settings.limits)
        self._tasks.append(asyncio.create_task(_finish_pending_creates(
            commands, self._settings.pending_create_age),
                                               name="api-pending-creates"))
        self._queries = TenantQueries(store, pool)
        roster = Roster()
        await roster.follow(nc)
        self._ops = OpsReader(pool, store, nc.jetstream(), roster,
                              self._settings.provisioner_consumer)
        self.started.set()

    async def _keeper_check(self) -> None:
        assert self.keeper is not None
        await self.keeper.check()
        if self.keeper.problem is not None:
            raise TimeoutError(self.keeper.problem)

    async def _on_reconnected(self) -> None:
        # The node that held the projection's consumer may be gone: follow anew now.
        if self.projection is not None and self.projection.batches is not None:
            self.projection.batches.feed.restart("reconnected to NATS")

    async def _on_stream_repaired(self) -> None:
        # A re-created stream starts its seqs over: the read model (and every client's
        # as_of) refers to the old one. Not ready until an operator rebuilds it.
        self.stream_recreated = ("the stream was re-created after it vanished: rebuild the "
                                 "read model (tenantctl projections rebuild), then restart")

    async def readiness(self) -> dict[str, str | None]:
        """Each part's problem, or None when it can do its work."""
        connected = self.nc is not None and self.nc.is_connected
        projection = self.projection
        return {
            "nats": None if connected else "not connected to NATS",
            "stream": (self.keeper.problem if self.keeper else "not checked yet")
            or self.stream_recreated,
            "postgres": None if await self._postgres_answers() else "PostgreSQL does not answer",
            "projection": (projection.problem or (None if projection.caught_up.is_set()
                                                  else "catching up with the stream"))
            if projection is not None else "not started",
        }

    async def _postgres_answers(self) -> bool:
        if self.pool is None:
            return False
        try:
            async with asyncio.timeout(1.0):
                return bool(await self.pool.fetchval("SELECT 1"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False

    async def stop(self) -> None:
        if self.keeper is not None:
            await self.keeper.stop()
        if self.projection is not None:
            self.projection.stopping()
        await asyncio.gather(*(cancel_and_wait(task, STOP_TASKS_SECONDS) for task in self._tasks))
        if self.nc is not None:
            await close(self.nc)
        if self.pool is not None:
            await self.pool.close()
        log.info("api stopped: NATS drained, PostgreSQL pool closed")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset query when a connection goes back to the pool (asyncpg's default sends
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`, a round trip
    per request). The api leaves no session state: its locks are transaction locks, it
    sets, listens and declares nothing; an open transaction is still rolled back."""


async def _every(seconds: float, what: str, work: Callable[[], Awaitable[str | None]]) -> None:
    """Run `work` for ever, `seconds` apart; a PostgreSQL failure waits for the next round.
    `work` returns what to log, if anything."""
    while True:
        try:
            done = await work()
            if done:
                log.info("%s", done)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("%s failed, next try in %.0fs: %r", what, seconds, exc)
        await asyncio.sleep(seconds)


async def _purge_keys_hourly(pool: asyncpg.Pool) -> None:
    # Expired Idempotency-Keys match no request; without this the table only grows.
    # Every replica may run it: the DELETE is idempotent.
    async def purge() -> str | None:
        purged = await idempotency.purge_expired(pool)
        return f"purged {purged} expired idempotency keys" if purged else None

    await _every(PURGE_INTERVAL_SECONDS, "idempotency key purge", purge)


async def _finish_pending_creates(commands: TenantCommands, age: float) -> None:
    # A create whose client was told 503 (outcome unknown), or whose api crashed
    # mid-append, is sent again until stored: the client finds it by retrying or by
    # its Location. Every replica may run this: the stream stores the event once.
    async def finish() -> str | None:
        settled = await commands.finish_pending(age)
        return f"settled {settled} create(s) whose outcome was unknown" if settled else None

    await asyncio.sleep(min(PENDING_CHECK_SECONDS, age))
    await _every(min(PENDING_CHECK_SECONDS, age), "checking pending creates", finish)


async def _create_schema(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await create_schema(conn)


async def _retry(what: str, connect: Callable[[], Awaitable[T]]) -> T:
    while True:
        try:
            return await connect()
        except (OSError, nats.errors.Error, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning("waiting for %s: %s", what, exc)
            await asyncio.sleep(CONNECT_RETRY_SECONDS)
