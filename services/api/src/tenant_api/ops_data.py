"""The operations view's figures: the read model (counts, backlog, failures), tenants'
histories in the stream (stage durations) and JetStream's consumer info (the queue)."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

import asyncpg
from nats.js import JetStreamContext

from tenant_api import read_model
from tenant_api.ops_wire import (
    Backlog,
    ConsumerState,
    FailureItem,
    Failures,
    InProgress,
    OpsOverview,
    Retrying,
    StageDuration,
    StageDurations,
    Waiting,
)
from tenant_api.roster import Roster
from tenant_contracts.events import (
    REQUEST_TYPES,
    EventBase,
    TenantActive,
    TenantCancelRequested,
    TenantProgress,
)
from tenant_contracts.subjects import STREAM_NAME
from tenant_contracts.tenant import STAGES, Status
from tenant_stream.event_log import EventLog

LIST_LIMIT = 200  # rows per backlog list: the view is for people, not exports
STAGE_WINDOW = timedelta(hours=1)
STAGE_TENANTS = 50
FAILURE_WINDOW = timedelta(hours=24)
CONSUMER_INFO_TIMEOUT = 2.0
_BUSY = [str(s) for s in (Status.PENDING, Status.PROVISIONING, Status.UPDATING,
                          Status.DELETING)]
_CANCEL = TenantCancelRequested.__name__


class OpsReader:
    def __init__(self, pool: asyncpg.Pool, store: EventLog, js: JetStreamContext,
                 roster: Roster, consumer: str) -> None:
        self._pool = pool
        self._store = store
        self._js = js
        self._roster = roster
        self._consumer = consumer

    async def overview(self, now: datetime) -> OpsOverview:
        async with self._pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                as_of = await read_model.applied_seq(conn)
                counts = {str(s): 0 for s in Status}
                for row in await conn.fetch("SELECT status, count(*) AS n FROM tenants "
                                            "GROUP BY status"):
                    counts[row["status"]] = row["n"]
                waiting = await conn.fetch(
                    "SELECT id, slug, status, pending_request, updated_at FROM tenants "
                    "WHERE pending_request IS NOT NULL ORDER BY updated_at LIMIT $1",
                    LIST_LIMIT)
                busy = await conn.fetch(
                    "SELECT id, slug, status, stage, attempt, error, retry_at, "
                    "pending_request, updated_at FROM tenants WHERE status = ANY($1::text[]) "
                    "AND status <> 'Pending' ORDER BY updated_at LIMIT $2",
                    _BUSY, LIST_LIMIT)
                recent = await conn.fetch(
                    "SELECT id FROM tenants WHERE updated_at > $1 AND status <> 'Pending' "
                    "ORDER BY updated_at DESC LIMIT $2", now - STAGE_WINDOW, STAGE_TENANTS)
        consumer, durations = await asyncio.gather(
            self._consumer_state(), self._stage_durations([r["id"] for r in recent]))
        return OpsOverview(
            as_of=as_of, generated_at=now, counts=counts,
            backlog=Backlog(
                waiting=[Waiting(tenant_id=r["id"], slug=r["slug"], status=r["status"],
                                 request=r["pending_request"], since=r["updated_at"])
                         for r in waiting],
                in_progress=[InProgress(tenant_id=r["id"], slug=r["slug"], status=r["status"],
                                        stage=r["stage"], attempt=r["attempt"],
                                        since=r["updated_at"],
                                        cancel_requested=r["pending_request"] == _CANCEL)
                             for r in busy if r["retry_at"] is None],
                retrying=[Retrying(tenant_id=r["id"], slug=r["slug"], attempt=r["attempt"],
                                   last_error=r["error"], next_retry_at=r["retry_at"],
                                   cancel_requested=r["pending_request"] == _CANCEL)
                          for r in busy if r["retry_at"] is not None],
                consumer=consumer, replicas=self._roster.alive(now)),
            stage_durations=durations)

    async def failures(self, now: datetime) -> Failures:
        since = now - FAILURE_WINDOW
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, slug, owner, error, attempt, updated_at FROM tenants "
                "WHERE status = 'Failed' AND updated_at > $1 ORDER BY updated_at DESC "
                "LIMIT $2", since, LIST_LIMIT)
        return Failures(since=since, items=[
            FailureItem(tenant_id=r["id"], slug=r["slug"], owner=r["owner"], error=r["error"],
                        attempts=r["attempt"], failed_at=r["updated_at"]) for r in rows])

    async def _consumer_state(self) -> ConsumerState:
        try:
            info = await self._js.consumer_info(STREAM_NAME, self._consumer,
                                                timeout=CONSUMER_INFO_TIMEOUT)
        except Exception as exc:  # missing, no permission, NATS away: say so, show the rest
            return ConsumerState(name=self._consumer, problem=f"consumer info: {exc!r}")
        return ConsumerState(name=self._consumer, pending=info.num_pending,
                             ack_pending=info.num_ack_pending,
                             redelivered=info.num_redelivered, waiting_pulls=info.num_waiting)

    async def _stage_durations(self, tenant_ids: Sequence[uuid.UUID]) -> StageDurations:
        histories = await asyncio.gather(*(self._store.history(t) for t in tenant_ids))
        seconds: dict[str, list[float]] = defaultdict(list)
        for history in histories:
            for stage, took in stage_seconds([e for _, e in history]):
                seconds[stage].append(took)
        return StageDurations(
            window=f"completed stages of the last {STAGE_TENANTS} tenants changed in the last "
                   f"{int(STAGE_WINDOW.total_seconds() // 60)} minutes",
            tenants=len(tenant_ids),
            stages=[StageDuration(stage=stage, count=len(seconds[stage]),
                                  p50_seconds=percentile(seconds[stage], 50),
                                  p95_seconds=percentile(seconds[stage], 95))
                    for stage, _ in STAGES])


def stage_seconds(events: Sequence[EventBase]) -> list[tuple[str, float]]:
    """Each completed stage and how long it took: from its TenantProgress to the next
    stage's (or TenantActive). A stage cut short (failed, cancelled) is not counted."""
    # Requests stored meanwhile (a cancel, say) do not end a stage.
    events = [e for e in events if not isinstance(e, REQUEST_TYPES)]
    out: list[tuple[str, float]] = []
    for current, following in pairwise(events):
        if isinstance(current, TenantProgress) and isinstance(following,
                                                              TenantProgress | TenantActive):
            out.append((current.stage,
                        (following.occurred_at - current.occurred_at).total_seconds()))
    return out


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest rank: the smallest value with at least pct% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]

