"""The provisioner's view of one tenant: the fold of its history plus its request queue.

Requests are handled strictly in stream order. Each request opens an entry in a
FIFO queue; the provisioner only ever works on the oldest open one (the head),
so each closing event (Active, Failed, Updated, Deleted, Cancelled) closes the
head. A head that does not apply to the tenant's phase when its turn comes (say an
update of a deleted tenant) is skipped.

A cancel is the one request that does not queue: contracts' accepts() lets it
overtake the provisioning request it stops, so it attaches to the head (that
request) instead. TenantCancelled closes both; Active or Failed first makes the
cancel moot (skipped). Replaying the same history always gives the same
answer, so every process and every redelivery agrees on what is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from tenant_contracts.events import (
    REQUEST_TYPES,
    EventBase,
    TenantActive,
    TenantAttemptFailed,
    TenantCancelled,
    TenantCancelRequested,
    TenantDeleted,
    TenantDeleting,
    TenantFailed,
    TenantProvisioning,
    TenantRequested,
    TenantUpdated,
    TenantUpdating,
)
from tenant_contracts.history import History
from tenant_contracts.tenant import ACCEPTS_IN, OVERTAKES, NotRequested, Tenant, accepts, apply


class Phase(StrEnum):
    """Like Status, but moved only by the provisioner's own events (a queued
    TenantRetryRequested does not make the tenant Pending until it is handled)."""

    NEW = "new"
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    FAILED = "failed"
    UPDATING = "updating"
    DELETING = "deleting"
    DELETED = "deleted"
    CANCELLED = "cancelled"


_STARTS: dict[type[EventBase], Phase] = {
    TenantProvisioning: Phase.PROVISIONING,
    TenantUpdating: Phase.UPDATING,
    TenantDeleting: Phase.DELETING,
}
_CLOSES: dict[type[EventBase], Phase] = {
    TenantActive: Phase.ACTIVE,
    TenantFailed: Phase.FAILED,
    TenantUpdated: Phase.ACTIVE,
    TenantDeleted: Phase.DELETED,
    TenantCancelled: Phase.CANCELLED,
}
# The phases in which a queued request applies when its turn comes: contracts'
# ACCEPTS_IN read as phases (the same names), for the requests that queue; a creation
# only on a new tenant. A request that overtakes (a cancel) never queues.
APPLIES_IN: dict[type[EventBase], frozenset[Phase]] = {
    TenantRequested: frozenset({Phase.NEW}),
    **{request: frozenset(Phase[status.name] for status in statuses)
       for request, statuses in ACCEPTS_IN.items() if request not in OVERTAKES},
}


@dataclass(frozen=True)
class Head:
    """The oldest open request and how far work on it has got."""

    seq: int
    request: EventBase
    started: bool = False  # Provisioning / Updating / Deleting appended for it
    attempt: int = 0  # number of the latest attempt in this series
    failures: int = 0  # TenantAttemptFailed in this series
    open: bool = False  # an attempt began and has no outcome yet (crash or live worker)
    retry_at: datetime | None = None
    last_error: str | None = None
    cancel_seq: int | None = None  # a TenantCancelRequested for this request, not done yet


@dataclass(frozen=True)
class Ledger:
    tenant: Tenant
    phase: Phase
    last_seq: int
    head: Head | None
    waiting: tuple[int, ...] = ()  # open requests behind the head
    closed: frozenset[int] = frozenset()  # handled to an outcome
    skipped: dict[int, str] = field(default_factory=dict)  # not applicable: seq -> reason

    def is_done(self, request_seq: int) -> bool:
        return request_seq in self.closed or request_seq in self.skipped


def only_requests(events: Sequence[EventBase]) -> bool:
    """True when none of the events is the provisioner's own (so no other worker)."""
    return bool(events) and all(isinstance(e, REQUEST_TYPES) for e in events)


def replay(history: Sequence[tuple[int, EventBase]]) -> Ledger:
    """Raises NotRequested unless the history starts with TenantRequested. A plain
    sequence (not a History) is taken to have skipped nothing."""
    tenant: Tenant | None = None
    phase = Phase.NEW
    queue: list[Head] = []
    closed: set[int] = set()
    skipped: dict[int, str] = {}
    for seq, event in history:
        before, tenant = tenant, apply(tenant, event, seq)
        kind = type(event)
        if isinstance(event, REQUEST_TYPES):
            if before is not None and not accepts(before, kind):
                # The fold ignores it too (contracts' accepts): nobody waits for it.
                skipped[seq] = (f"{kind.__name__} does not apply to a tenant that is "
                                f"{before.status}"
                                + (f" with {before.pending_request} pending"
                                   if before.pending_request else ""))
                continue
            if isinstance(event, TenantCancelRequested):
                if queue:  # always, when accepts() took it: it stops the provisioning
                    queue[0] = replace(queue[0], cancel_seq=seq)
                else:
                    skipped[seq] = "no provisioning to cancel"
                continue
            queue.append(Head(seq=seq, request=event))
        elif kind in _STARTS:
            phase = _STARTS[kind]
            if queue:
                attempt = (event.attempt if isinstance(event, TenantProvisioning)
                           else queue[0].attempt)
                queue[0] = replace(queue[0], started=True, open=True, attempt=attempt,
                                   retry_at=None)
        elif isinstance(event, TenantAttemptFailed):
            if queue:
                queue[0] = replace(queue[0], failures=queue[0].failures + 1, open=False,
                                   attempt=event.attempt, retry_at=event.retry_at,
                                   last_error=event.error)
        elif kind in _CLOSES:
            phase = _CLOSES[kind]
            if queue:
                done = queue.pop(0)
                closed.add(done.seq)
                if done.cancel_seq is not None:
                    if isinstance(event, TenantCancelled):
                        closed.add(done.cancel_seq)
                    else:
                        skipped[done.cancel_seq] = (f"the provisioning ended ({kind.__name__}) "
                                                    "before the cancel took effect")
        while queue and not queue[0].started and phase not in APPLIES_IN[type(queue[0].request)]:
            dropped = queue.pop(0)
            skipped[dropped.seq] = (f"{type(dropped.request).__name__} does not apply "
                                    f"to a tenant in phase {phase}")
    if tenant is None:
        raise NotRequested("the tenant has no events")
    last_seq = history.last_seq if isinstance(history, History) else history[-1][0]
    return Ledger(tenant=tenant, phase=phase, last_seq=last_seq,
                  head=queue[0] if queue else None,
                  waiting=tuple(h.seq for h in queue[1:]), closed=frozenset(closed),
                  skipped=skipped)
