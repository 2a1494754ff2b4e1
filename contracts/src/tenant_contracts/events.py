"""The event catalog of SPEC section 2: one frozen Struct per event type.

Wire rules: the `type` field is the tag and never changes for a type; fields are
only ever added (with defaults); unknown fields are ignored when decoding. A
breaking change gets a new tag and an upcaster, never an in-place edit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec


def new_event_id() -> uuid.UUID:
    return uuid.uuid4()


def utc_now() -> datetime:
    return datetime.now(UTC)


SYSTEM_ACTOR = "system"


class EventBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    # the subject suffix is part of the contract too: tenants.<tenant_id>.<suffix>
    suffix: ClassVar[str]

    event_id: uuid.UUID = msgspec.field(default_factory=new_event_id)
    tenant_id: uuid.UUID
    occurred_at: datetime = msgspec.field(default_factory=utc_now)
    owner: str
    actor: str


class TenantChanges(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    name: str | None = None
    plan: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class TenantRequested(EventBase, frozen=True, kw_only=True, tag="TenantRequested"):
    suffix = "requested"
    name: str
    slug: str
    plan: str
    admin_email: str
    # The requester's address from their token's `email` claim, for the email sent when
    # nobody is watching the tenant end; None: the token had none, so no such email.
    owner_email: str | None = None


class TenantProvisioning(EventBase, frozen=True, kw_only=True, tag="TenantProvisioning"):
    suffix = "provisioning"
    attempt: int


class TenantProgress(EventBase, frozen=True, kw_only=True, tag="TenantProgress"):
    suffix = "progress"
    stage: str
    percent: int
    message: str = ""


class TenantAttemptFailed(EventBase, frozen=True, kw_only=True, tag="TenantAttemptFailed"):
    suffix = "attempt_failed"
    attempt: int
    error: str
    retry_at: datetime | None = None


class TenantActive(EventBase, frozen=True, kw_only=True, tag="TenantActive"):
    suffix = "active"
    database: str


class TenantFailed(EventBase, frozen=True, kw_only=True, tag="TenantFailed"):
    suffix = "failed"
    error: str
    attempts: int


class TenantUpdateRequested(EventBase, frozen=True, kw_only=True, tag="TenantUpdateRequested"):
    suffix = "update_requested"
    changes: TenantChanges


class TenantUpdating(EventBase, frozen=True, kw_only=True, tag="TenantUpdating"):
    suffix = "updating"


class TenantUpdated(EventBase, frozen=True, kw_only=True, tag="TenantUpdated"):
    suffix = "updated"
    changes: TenantChanges


class TenantRetryRequested(EventBase, frozen=True, kw_only=True, tag="TenantRetryRequested"):
    suffix = "retry_requested"


class TenantDeletionRequested(
    EventBase, frozen=True, kw_only=True, tag="TenantDeletionRequested"
):
    suffix = "deletion_requested"


class TenantDeleting(EventBase, frozen=True, kw_only=True, tag="TenantDeleting"):
    suffix = "deleting"


class TenantDeleted(EventBase, frozen=True, kw_only=True, tag="TenantDeleted"):
    suffix = "deleted"


class TenantCancelRequested(EventBase, frozen=True, kw_only=True, tag="TenantCancelRequested"):
    suffix = "cancel_requested"


class TenantCancelled(EventBase, frozen=True, kw_only=True, tag="TenantCancelled"):
    suffix = "cancelled"


Event = (
    TenantRequested
    | TenantProvisioning
    | TenantProgress
    | TenantAttemptFailed
    | TenantActive
    | TenantFailed
    | TenantUpdateRequested
    | TenantUpdating
    | TenantUpdated
    | TenantRetryRequested
    | TenantDeletionRequested
    | TenantDeleting
    | TenantDeleted
    | TenantCancelRequested
    | TenantCancelled
)

EVENT_TYPES: tuple[type[EventBase], ...] = (
    TenantRequested,
    TenantProvisioning,
    TenantProgress,
    TenantAttemptFailed,
    TenantActive,
    TenantFailed,
    TenantUpdateRequested,
    TenantUpdating,
    TenantUpdated,
    TenantRetryRequested,
    TenantDeletionRequested,
    TenantDeleting,
    TenantDeleted,
    TenantCancelRequested,
    TenantCancelled,
)

# The requests the api appends and the provisioner consumes.
REQUEST_TYPES: tuple[type[EventBase], ...] = (
    TenantRequested,
    TenantUpdateRequested,
    TenantRetryRequested,
    TenantDeletionRequested,
    TenantCancelRequested,
)

TYPE_BY_SUFFIX: dict[str, type[EventBase]] = {t.suffix: t for t in EVENT_TYPES}


def event_type_name(event: EventBase) -> str:
    return type(event).__struct_config__.tag  # type: ignore[return-value]
