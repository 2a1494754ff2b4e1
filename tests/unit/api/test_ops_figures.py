"""The operations view's arithmetic: percentiles, stage durations, replica liveness."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tenant_api.ops_data import percentile, stage_seconds
from tenant_api.roster import Roster
from tenant_contracts.events import (
    TenantActive,
    TenantAttemptFailed,
    TenantCancelRequested,
    TenantProgress,
)
from tenant_contracts.heartbeat import HEARTBEAT_LOST_AFTER_SECONDS, ProvisionerHeartbeat

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_nearest_rank_percentiles() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 0)) == (
        3.0, 5.0, 1.0)
    assert percentile([], 50) is None


def test_only_completed_stages_count_and_requests_do_not_end_a_stage() -> None:
    common = {"tenant_id": uuid.uuid4(), "owner": "o", "actor": "system"}

    def at(seconds: float) -> datetime:
        return T0 + timedelta(seconds=seconds)

    events = [
        TenantProgress(**common, stage="creating_database", percent=10, occurred_at=at(0)),
        TenantCancelRequested(**common, occurred_at=at(0.5)),
        TenantProgress(**common, stage="migrating", percent=35, occurred_at=at(2)),
        TenantAttemptFailed(**common, attempt=1, error="x", occurred_at=at(3)),  # cut short
        TenantProgress(**common, stage="seeding", percent=60, occurred_at=at(10)),
        TenantActive(**common, database="d", occurred_at=at(14)),
    ]
    assert stage_seconds(events) == [("creating_database", 2.0), ("seeding", 4.0)]


def test_a_replica_silent_too_long_is_gone() -> None:
    roster = Roster()
    beat = ProvisionerHeartbeat(id="a/1", started_at=T0, sent_at=T0, in_flight=0)
    roster.note(beat, T0)
    assert [r.id for r in roster.alive(T0 + timedelta(seconds=1))] == ["a/1"]
    later = T0 + timedelta(seconds=HEARTBEAT_LOST_AFTER_SECONDS + 1)
    assert roster.alive(later) == []
