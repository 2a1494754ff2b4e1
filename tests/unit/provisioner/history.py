"""Builds tenant histories for the decision tests, seq by seq (a builder: the history
itself is tenant_contracts.history.History)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tenant_contracts.events import (
    EventBase,
    TenantActive,
    TenantAttemptFailed,
    TenantCancelled,
    TenantCancelRequested,
    TenantChanges,
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

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class HistoryBuilder:
    def __init__(self) -> None:
        self.tenant_id = uuid.uuid4()
        self.events: list[tuple[int, EventBase]] = []

    @property
    def last_seq(self) -> int:
        return self.events[-1][0] if self.events else 0

    def add(self, kind: type[EventBase], **fields: Any) -> int:
        seq = self.last_seq + 10  # other tenants' events sit in between
        self.events.append((seq, kind(tenant_id=self.tenant_id, owner="alice",
                                      actor="system", **fields)))
        return seq

    def requested(self) -> int:
        return self.add(TenantRequested, name="Acme", slug="acme", plan="free",
                        admin_email="a@acme.example")

    def attempt(self, n: int, stages: int = 4) -> None:
        self.add(TenantProvisioning, attempt=n)
        for stage in ("creating_database", "migrating", "seeding", "verifying")[:stages]:
            self.add(TenantProgress, stage=stage, percent=10)

    def attempt_failed(self, n: int, retry_in: float = 5) -> None:
        self.add(TenantAttemptFailed, attempt=n, error="refused",
                 retry_at=NOW + timedelta(seconds=retry_in))

    def active(self) -> None:
        self.add(TenantActive, database="tenant_acme")

    def failed(self, attempts: int = 6) -> None:
        self.add(TenantFailed, error="refused", attempts=attempts)

    def update_requested(self, name: str = "New") -> int:
        return self.add(TenantUpdateRequested, changes=TenantChanges(name=name))

    def updating(self) -> None:
        self.add(TenantUpdating)

    def updated(self, name: str = "New") -> None:
        self.add(TenantUpdated, changes=TenantChanges(name=name))

    def retry_requested(self) -> int:
        return self.add(TenantRetryRequested)

    def deletion_requested(self) -> int:
        return self.add(TenantDeletionRequested)

    def deleting(self) -> None:
        self.add(TenantDeleting)

    def deleted(self) -> None:
        self.add(TenantDeleted)

    def cancel_requested(self) -> int:
        return self.add(TenantCancelRequested)

    def cancelled(self) -> None:
        self.add(TenantCancelled)
