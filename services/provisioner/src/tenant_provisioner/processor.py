"""Carry out the decision for one request: the only place decisions meet I/O."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tenant_contracts.events import (
    SYSTEM_ACTOR,
    EventBase,
    TenantActive,
    TenantAttemptFailed,
    TenantCancelled,
    TenantCancelRequested,
    TenantChanges,
    TenantDeleted,
    TenantDeleting,
    TenantFailed,
    TenantProgress,
    TenantProvisioning,
    TenantUpdated,
    TenantUpdating,
    utc_now,
)
from tenant_contracts.history import History
from tenant_contracts.tenant import STAGES, NotRequested, Tenant
from tenant_provisioner import metrics
from tenant_provisioner.decision import (
    Cancel,
    Decision,
    Delete,
    Done,
    GiveUp,
    Later,
    Policy,
    Provision,
    RetryLater,
    Update,
    after_error,
    after_max_deliveries,
    decide,
)
from tenant_provisioner.failures import TenantDbError
from tenant_provisioner.ledger import Ledger, only_requests, replay
from tenant_provisioner.naming import TenantNames
from tenant_provisioner.request import Request
from tenant_provisioner.tracing import Tracing
from tenant_stream.event_log import Conflict
from tenant_stream.store import EventStore

log = logging.getLogger(__name__)

STAGE_MESSAGES = {
    "creating_database": "creating the database and its role",
    "migrating": "applying the schema migrations",
    "seeding": "adding the first admin user",
    "verifying": "connecting as the tenant role",
}
_MAX_DECISIONS = 10  # conflicts in a row before handing the message back


@dataclass(frozen=True)
class Drop:  # can never be processed: term
    reason: str


# Done and Later are the decision module's: a decision of nothing to do, or not now,
# is handed to the consumer as it is.
Outcome = Done | Later | Drop


class CancelNotDone(Exception):
    """A cancel could not drop what the tenant has yet (PostgreSQL away)."""


class CancelNoticed(Conflict):
    """Our append met a TenantCancelRequested stored since: the work in hand stops
    here (a stage boundary) and the same worker, still holding the request, cancels."""


class _Writer:
    """Appends to one tenant in order, each append expecting the last seq it knows."""

    def __init__(self, store: EventStore, ledger: Ledger, request: Request,
                 tracing: Tracing) -> None:
        self._store = store
        self._tenant = ledger.tenant
        self.last_seq = ledger.last_seq
        self.stored = 0  # events this writer appended
        self._request = request
        self._tracing = tracing

    async def append(self, kind: type[EventBase], **fields: Any) -> None:
        event = kind(tenant_id=self._tenant.id, owner=self._tenant.owner, actor=SYSTEM_ACTOR,
                     **fields)
        traceparent, tracestate = self._tracing.event_context(self._request)
        while True:
            try:
                self.last_seq = await self._store.append(event, self.last_seq, traceparent,
                                                         tracestate)
                self.stored += 1
                return
            except Conflict as exc:
                history = _counted(exc.history or await self._store.history(self._tenant.id))
                newer = [e for seq, e in history if seq > self.last_seq]
                if newer and not only_requests(newer):
                    raise  # another worker appended: the caller reloads and decides again
                if kind is not TenantCancelled and any(
                        isinstance(e, TenantCancelRequested) for e in newer):
                    raise CancelNoticed("a cancel was requested", history) from exc
                # Only new requests were queued (by the api) behind the one we work on, or
                # messages nobody can read: they change nothing about it, so carry on
                # after them (NATS counts the unreadable ones too: expect the last seq read).
                log.info("tenant=%s: %d request(s) queued meanwhile; carrying on after seq %d",
                         self._tenant.id, len(newer), history.last_seq)
                metrics.APPENDS_CARRIED_ON.inc()
                self.last_seq = history.last_seq


class Databases(Protocol):
    """The work in PostgreSQL (tenant_db.TenantDatabases); a seam for the unit tests."""

    async def run_stage(self, stage: str, tenant: Tenant) -> None: ...

    async def apply_update(self, tenant: Tenant, changes: TenantChanges) -> None: ...

    async def drop(self, tenant: Tenant) -> None: ...


@dataclass
class Processor:
    store: EventStore
    databases: Databases
    policy: Policy
    stage_delay: float = 0.0
    clock: Callable[[], datetime] = utc_now
    tracing: Tracing = field(default_factory=Tracing)

    async def process(self, request: Request, delivery: int = 1) -> Outcome:
        with self.tracing.handling(request, delivery=delivery):
            outcome = await self._process(request, delivery)
            self.tracing.note(outcome=type(outcome).__name__.lower(),
                              outcome_reason=outcome.reason)
            return outcome

    async def _process(self, request: Request, delivery: int) -> Outcome:
        after_conflict = False
        # A first delivery of a request stored as its tenant's first message: the history
        # is that request alone, without a read. Stale it cannot be where it matters:
        # every append expects seq `request.seq`, so the first one is refused (10071) if
        # anything was stored for the tenant since, and we then read and decide again.
        assumed = request.first and delivery == 1
        for _ in range(_MAX_DECISIONS):
            try:
                # at_least: the read reaches the request just delivered, even from a
                # replica that is behind (it never wrongly finds "no such tenant").
                ledger = replay(History([(request.seq, request.event)], request.seq)
                                if assumed else
                                _counted(await self.store.history(request.tenant_id,
                                                                  at_least=request.seq)))
            except NotRequested as exc:
                return Drop(f"tenant {request.tenant_id} has no TenantRequested: {exc}")
            plan = decide(ledger, request.seq, self.clock(), self.policy, after_conflict)
            log.info("tenant=%s seq=%s plan=%s", request.tenant_id, request.seq, plan)
            self.tracing.note(plan=type(plan).__name__)
            if isinstance(plan, Provision | Update | Delete):
                self.tracing.note(attempt=plan.attempt)
                metrics.ATTEMPTS.labels(type(plan).__name__.lower()).inc()
            writer = self._writer(ledger, request)
            try:
                return await self._carry_out(plan, ledger, writer)
            except CancelNoticed:
                after_conflict = False  # only the api appended: we still hold the request
            except Conflict:
                # Someone appended first: reload and decide again. When nothing of ours was
                # stored on an assumed history, it was only a read too early: decide on
                # the real one as on any first read.
                after_conflict = not (assumed and writer.stored == 0)
            assumed = False
        return Later(self.policy.wait_seconds, "the tenant kept changing under us")

    async def abandon(self, request: Request, deliveries: int) -> None:
        """JetStream will not deliver the request again: give it an outcome."""
        with self.tracing.handling(request, "abandon request", deliveries=deliveries):
            await self._abandon(request, deliveries)

    async def _abandon(self, request: Request, deliveries: int) -> None:
        """Returns once the request has its outcome (or needs none); raises otherwise,
        so that the caller tries again."""
        for _ in range(_MAX_DECISIONS):
            ledger = replay(_counted(await self.store.history(request.tenant_id,
                                                              at_least=request.seq)))
            plan = after_max_deliveries(ledger, request.seq, deliveries)
            if isinstance(plan, Done):
                log.log(logging.INFO if ledger.is_done(request.seq) else logging.ERROR,
                        "max deliveries for tenant=%s seq=%s: %s", request.tenant_id,
                        request.seq, plan.reason)
                return
            try:
                if isinstance(plan, Cancel):
                    cancelled = await self._cancel(ledger, self._writer(ledger, request))
                    if isinstance(cancelled, Later):  # nothing redelivers it: the caller
                        raise CancelNotDone(cancelled.reason)  # tries again (backoff)
                    return
                await self._writer(ledger, request).append(
                    TenantFailed, error=plan.error, attempts=plan.attempts)
                return
            except Conflict:
                continue  # the tenant moved on: reload; maybe it needs no outcome now
        raise Conflict(f"tenant {request.tenant_id} kept changing; the outcome of seq "
                       f"{request.seq} is not recorded yet")

    def _writer(self, ledger: Ledger, request: Request) -> _Writer:
        return _Writer(self.store, ledger, request, self.tracing)

    async def _carry_out(self, plan: Decision, ledger: Ledger, writer: _Writer) -> Outcome:
        match plan:
            case Done() | Later():
                return plan
            case GiveUp(error=error, attempts=attempts):
                await writer.append(TenantFailed, error=error, attempts=attempts)
                return Done(f"failed: {error}")
            case Provision():
                return await self._provision(plan, ledger, writer)
            case Update():
                return await self._update(plan, ledger, writer)
            case Delete():
                return await self._delete(plan, ledger, writer)
            case Cancel():
                return await self._cancel(ledger, writer)

    async def _provision(self, plan: Provision, ledger: Ledger, writer: _Writer) -> Outcome:
        if plan.begin:
            await writer.append(TenantProvisioning, attempt=plan.attempt)
        try:
            for stage, percent in STAGES:
                with self.tracing.stage(stage), metrics.STAGE_SECONDS.labels(stage).time():
                    await writer.append(TenantProgress, stage=stage, percent=percent,
                                        message=STAGE_MESSAGES[stage])
                    await self.databases.run_stage(stage, ledger.tenant)
                    await self._pause()
        except TenantDbError as exc:
            return await self._failed(exc, plan.attempt, ledger, writer)
        database = TenantNames.for_slug(ledger.tenant.slug).database
        await writer.append(TenantActive, database=database)
        return Done(f"active: {database}")

    async def _update(self, plan: Update, ledger: Ledger, writer: _Writer) -> Outcome:
        if plan.begin:
            await writer.append(TenantUpdating)
        try:
            await self.databases.apply_update(ledger.tenant, plan.changes)
        except TenantDbError as exc:
            return await self._failed(exc, plan.attempt, ledger, writer)
        await writer.append(TenantUpdated, changes=plan.changes)
        return Done("updated")

    async def _delete(self, plan: Delete, ledger: Ledger, writer: _Writer) -> Outcome:
        if plan.begin:
            await writer.append(TenantDeleting)
        try:
            await self.databases.drop(ledger.tenant)
        except TenantDbError as exc:
            return await self._failed(exc, plan.attempt, ledger, writer)
        await writer.append(TenantDeleted)
        return Done("deleted")

    async def _cancel(self, ledger: Ledger, writer: _Writer) -> Outcome:
        # Drop first, then record: a crash in between leaves the cancel pending, and the
        # next delivery drops again (nothing left: a no-op) and records it then. Only
        # objects marked as this tenant's are dropped (ownership.may_drop).
        try:
            await self.databases.drop(ledger.tenant)
        except TenantDbError as exc:
            log.warning("tenant=%s: cancel: dropping failed; trying again: %s",
                        ledger.tenant.id, exc)
            return Later(self.policy.backoff[0], f"cancel: dropping failed: {exc}")
        await writer.append(TenantCancelled)
        return Done("cancelled")

    async def _failed(self, exc: TenantDbError, attempt: int, ledger: Ledger,
                      writer: _Writer) -> Outcome:
        next_step = after_error(ledger, attempt, str(exc), exc.transient, self.clock(),
                                self.policy)
        log.warning("tenant=%s attempt=%s %s error: %s", ledger.tenant.id, attempt,
                    "transient" if exc.transient else "permanent", exc)
        if isinstance(next_step, RetryLater):
            await writer.append(TenantAttemptFailed, attempt=attempt, error=next_step.error,
                                retry_at=next_step.retry_at)
            return Later(next_step.delay, f"attempt {attempt} failed; retry after backoff")
        await writer.append(TenantFailed, error=next_step.error, attempts=next_step.attempts)
        return Done(f"failed: {next_step.error}")

    async def _pause(self) -> None:
        if self.stage_delay:
            await asyncio.sleep(self.stage_delay)  # demo pacing, so a person can watch the bar


def _counted(history: History) -> History:
    metrics.HISTORY_SKIPPED.inc(len(history.skipped))
    return history
