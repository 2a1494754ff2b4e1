"""A tenant's state is the fold of its events (SPEC section 2, 'status after')."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Literal, get_args

import msgspec

from tenant_contracts.events import (
    REQUEST_TYPES,
    EventBase,
    TenantActive,
    TenantAttemptFailed,
    TenantCancelled,
    TenantCancelRequested,
    TenantDeleted,
    TenantDeleting,
    TenantDeletionRequested,
    TenantFailed,
    TenantProgress,
    TenantProvisioning,
    TenantRequested,
    TenantRetryRequested,
    TenantUpdated,
    TenantUpdateRequested,
    TenantUpdating,
)


class Status(StrEnum):
    PENDING = "Pending"
    PROVISIONING = "Provisioning"
    ACTIVE = "Active"
    FAILED = "Failed"
    UPDATING = "Updating"
    DELETING = "Deleting"
    DELETED = "Deleted"
    CANCELLED = "Cancelled"


# The statuses the provisioner puts a tenant in while it works on a request (the SPA
# shows a progress bar); with Pending (a request waits) they make a tenant busy.
WORKING_STATUSES = frozenset({Status.PROVISIONING, Status.UPDATING, Status.DELETING})
BUSY_STATUSES = WORKING_STATUSES | {Status.PENDING}
# No request applies any more: the tenant's slug is free for a new tenant.
TERMINAL_STATUSES = frozenset({Status.DELETED})

# The statuses in which a tenant accepts each later request. The api refuses the
# rest with 409, so the provisioner never receives a request it could only skip
# (an unanswered request would leave the tenant looking busy for ever).
ACCEPTS_IN: dict[type[EventBase], frozenset[Status]] = {
    TenantUpdateRequested: frozenset({Status.ACTIVE}),
    TenantRetryRequested: frozenset({Status.FAILED, Status.CANCELLED}),
    TenantDeletionRequested: frozenset({Status.ACTIVE, Status.FAILED, Status.CANCELLED}),
    # Provisioning includes waiting for the next attempt (TenantAttemptFailed leaves the
    # status as it is).
    TenantCancelRequested: frozenset({Status.PENDING, Status.PROVISIONING}),
}

# Requests wait their turn: none is accepted while another is pending (not yet taken
# up), except these, which may overtake the pending ones named: a cancel exists to stop
# a provisioning, and one that has not begun yet is the cheapest to stop.
OVERTAKES: dict[type[EventBase], frozenset[str]] = {
    TenantCancelRequested: frozenset({TenantRequested.__name__, TenantRetryRequested.__name__}),
}

# A pending request is taken up by the provisioner's next event, except these, which
# report on work under way without answering it.
KEEPS_PENDING: tuple[type[EventBase], ...] = (TenantProgress, TenantAttemptFailed)
# A pending request taken up only by the events named: a cancel is answered by
# Cancelled, or made moot by the provisioning's own end.
TAKEN_UP_ONLY_BY: dict[type[EventBase], tuple[type[EventBase], ...]] = {
    TenantCancelRequested: (TenantCancelled, TenantActive, TenantFailed),
}

# Provisioning stages in order, each with the percent reached when it starts.
STAGES: tuple[tuple[str, int], ...] = (
    ("creating_database", 10),
    ("migrating", 35),
    ("seeding", 60),
    ("verifying", 85),
)

# A Literal gives clients and the OpenAPI schema the exact choices (the api's bodies use it).
Plan = Literal["free", "pro", "enterprise"]
PLANS: tuple[str, ...] = get_args(Plan)
DEFAULT_PLAN: Plan = "free"
SLUG_MIN_LENGTH, SLUG_MAX_LENGTH = 3, 40
SLUG_PATTERN = rf"^[a-z][a-z0-9-]{{{SLUG_MIN_LENGTH - 1},{SLUG_MAX_LENGTH - 1}}}$"


class Tenant(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    slug: str
    plan: str
    admin_email: str
    owner: str
    status: Status
    stage: str | None = None
    progress: int = 0
    error: str | None = None
    attempt: int = 0
    retry_at: datetime | None = None
    database: str | None = None
    # The type of a request stored but not yet taken up by the provisioner (or None):
    # the tenant is busy until then, whatever its status says.
    pending_request: str | None = None
    version: int  # stream seq of the last event applied
    created_at: datetime
    updated_at: datetime


def accepts(tenant: Tenant, request: type[EventBase]) -> bool:
    """Whether the tenant takes this request now. The api answers 409 otherwise, and a
    request found in the stream that it does not take (appended by hand, or replayed)
    is ignored by the fold and by the provisioner alike: nobody waits for it."""
    if tenant.status not in ACCEPTS_IN.get(request, ()):
        return False
    return (tenant.pending_request is None
            or tenant.pending_request in OVERTAKES.get(request, ()))


def is_busy(tenant: Tenant) -> bool:
    return tenant.status in BUSY_STATUSES or tenant.pending_request is not None


class NotRequested(ValueError):
    """An event arrived for a tenant whose TenantRequested was never seen."""


def apply(tenant: Tenant | None, event: EventBase, seq: int) -> Tenant:
    if tenant is None:
        if not isinstance(event, TenantRequested):
            raise NotRequested(f"{type(event).__name__} before TenantRequested")
        return Tenant(
            id=event.tenant_id,
            name=event.name,
            slug=event.slug,
            plan=event.plan,
            admin_email=event.admin_email,
            owner=event.owner,
            status=Status.PENDING,
            pending_request=type(event).__name__,
            version=seq,
            created_at=event.occurred_at,
            updated_at=event.occurred_at,
        )
    # Once: an isinstance against the five request types is a good part of a replay's fold.
    request = isinstance(event, REQUEST_TYPES)
    if request and not accepts(tenant, type(event)):
        return msgspec.structs.replace(tenant, version=seq)  # ignored: see accepts()
    changes = _changes(tenant, event)
    if request:
        changes["pending_request"] = type(event).__name__
    elif _takes_up(tenant.pending_request, event):
        changes["pending_request"] = None  # the provisioner took the request up
    return msgspec.structs.replace(tenant, version=seq, updated_at=event.occurred_at, **changes)


def _takes_up(pending: str | None, event: EventBase) -> bool:
    for request, answers in TAKEN_UP_ONLY_BY.items():
        if pending == request.__name__:
            return isinstance(event, answers)
    return not isinstance(event, KEEPS_PENDING)


def _changes(tenant: Tenant, event: EventBase) -> dict[str, object]:
    match event:
        case TenantProvisioning(attempt=attempt):
            return {"status": Status.PROVISIONING, "attempt": attempt, "stage": None,
                    "progress": 0, "retry_at": None}
        case TenantProgress(stage=stage, percent=percent):
            return {"stage": stage, "progress": percent}
        case TenantAttemptFailed(attempt=attempt, error=error, retry_at=retry_at):
            return {"attempt": attempt, "error": error, "retry_at": retry_at}
        case TenantActive(database=database):
            return {"status": Status.ACTIVE, "stage": None, "progress": 100, "error": None,
                    "retry_at": None, "database": database}
        case TenantFailed(error=error, attempts=attempts):
            return {"status": Status.FAILED, "stage": None, "error": error,
                    "attempt": attempts, "retry_at": None}
        case TenantUpdating():
            return {"status": Status.UPDATING, "stage": None, "progress": 0}
        case TenantUpdated(changes=changes):
            return {"status": Status.ACTIVE, "stage": None, "progress": 100, "error": None,
                    "retry_at": None, **changes.as_dict()}
        case TenantRetryRequested():
            return {"status": Status.PENDING, "attempt": 0, "stage": None, "progress": 0,
                    "retry_at": None}
        case TenantDeleting():
            return {"status": Status.DELETING, "stage": None, "progress": 0}
        case TenantDeleted():
            return {"status": Status.DELETED, "stage": None, "progress": 100, "error": None,
                    "retry_at": None}
        case TenantCancelled():
            return {"status": Status.CANCELLED, "stage": None, "progress": 0,
                    "retry_at": None}
        case _:
            # TenantUpdateRequested, TenantDeletionRequested, TenantCancelRequested:
            # status unchanged.
            return {}


def fold(events: Iterable[tuple[int, EventBase]]) -> Tenant | None:
    tenant: Tenant | None = None
    for seq, event in events:
        tenant = apply(tenant, event, seq)
    return tenant
