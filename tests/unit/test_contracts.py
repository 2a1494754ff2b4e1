from __future__ import annotations

import json
import uuid
from pathlib import Path

import msgspec
import pytest

from tenant_contracts.access import Principal
from tenant_contracts.codec import UndecodableEvent, decode_event, encode_event
from tenant_contracts.events import (
    EVENT_TYPES,
    TenantActive,
    TenantAttemptFailed,
    TenantChanges,
    TenantDeleted,
    TenantFailed,
    TenantProgress,
    TenantProvisioning,
    TenantRequested,
    TenantUpdated,
    TenantUpdateRequested,
    TenantUpdating,
)
from tenant_contracts.json_schema import events_json_schema
from tenant_contracts.subjects import (
    REQUEST_SUBJECTS,
    UnexpectedSubject,
    append_headers,
    event_subject,
    parse_subject,
    uuid_text,
)
from tenant_contracts.tenant import Status, apply, fold

TENANT = uuid.UUID("11111111-2222-3333-4444-555555555555")


def requested(**overrides: object) -> TenantRequested:
    fields: dict[str, object] = dict(tenant_id=TENANT, owner="alice", actor="alice",
                                     name="Acme", slug="acme", plan="free",
                                     admin_email="admin@acme.test")
    fields.update(overrides)
    return TenantRequested(**fields)  # type: ignore[arg-type]


def test_every_event_round_trips_with_its_type_tag() -> None:
    event = requested()
    payload = msgspec.json.decode(encode_event(event))
    assert payload["type"] == "TenantRequested"
    assert payload["occurred_at"].endswith("Z")
    assert decode_event(encode_event(event)) == event


def test_unknown_fields_are_ignored_and_unknown_types_rejected() -> None:
    event = requested()
    payload = msgspec.json.decode(encode_event(event))
    payload["added_in_a_later_version"] = {"x": 1}
    assert decode_event(msgspec.json.encode(payload)) == event
    payload["type"] = "TenantExploded"
    with pytest.raises(UndecodableEvent):
        decode_event(msgspec.json.encode(payload))
    with pytest.raises(UndecodableEvent):
        decode_event(b"not json")


def test_subjects_follow_the_contract() -> None:
    event = TenantActive(tenant_id=TENANT, owner="alice", actor="system", database="tenant_acme")
    assert event_subject(event) == f"tenants.{TENANT}.active"
    assert parse_subject(f"tenants.{TENANT}.attempt_failed") == (TENANT, "attempt_failed")
    for bad in ("tenants.x.active", f"tenants.{TENANT}.exploded", "other.a.b", "tenants"):
        with pytest.raises(UnexpectedSubject):
            parse_subject(bad)
    assert "tenants.*.requested" in REQUEST_SUBJECTS
    assert all(t.suffix for t in EVENT_TYPES)


def test_uuid_text_is_what_str_writes() -> None:
    for value in (uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.uuid1(),
                  *(uuid.uuid4() for _ in range(200))):
        assert uuid_text(value) == str(value)


def test_append_headers_carry_dedup_and_expected_sequence() -> None:
    event = requested()
    headers = append_headers(event, 0, traceparent="00-abc-def-01")
    assert headers["Nats-Msg-Id"] == str(event.event_id)
    assert headers["Nats-Expected-Last-Subject-Sequence"] == "0"
    assert headers["Nats-Expected-Last-Subject-Sequence-Subject"] == f"tenants.{TENANT}.>"
    assert headers["traceparent"] == "00-abc-def-01"


def test_fold_walks_the_happy_path() -> None:
    events = [
        (1, requested()),
        (5, TenantProvisioning(tenant_id=TENANT, owner="alice", actor="system", attempt=1)),
        (6, TenantProgress(tenant_id=TENANT, owner="alice", actor="system",
                           stage="migrating", percent=35)),
    ]
    tenant = fold(events)
    assert tenant is not None
    assert (tenant.status, tenant.stage, tenant.progress, tenant.version) == (
        Status.PROVISIONING, "migrating", 35, 6)
    active = apply(tenant, TenantActive(tenant_id=TENANT, owner="alice", actor="system",
                                        database="tenant_acme"), 9)
    assert (active.status, active.progress, active.database) == (Status.ACTIVE, 100, "tenant_acme")


def test_update_request_leaves_status_and_updated_applies_changes() -> None:
    tenant = fold([(1, requested()), (2, TenantActive(tenant_id=TENANT, owner="alice",
                                                       actor="system", database="d"))])
    changes = TenantChanges(plan="pro")
    tenant = apply(tenant, TenantUpdateRequested(tenant_id=TENANT, owner="alice", actor="alice",
                                                 changes=changes), 3)
    assert tenant.status is Status.ACTIVE and tenant.plan == "free"
    tenant = apply(tenant, TenantUpdated(tenant_id=TENANT, owner="alice", actor="system",
                                         changes=changes), 4)
    assert tenant.plan == "pro" and tenant.name == "Acme"


def test_failed_carries_error_and_attempts() -> None:
    tenant = fold([(1, requested()), (2, TenantFailed(tenant_id=TENANT, owner="alice",
                                                       actor="system", error="boom", attempts=5))])
    assert tenant is not None
    assert (tenant.status, tenant.error, tenant.attempt) == (Status.FAILED, "boom", 5)


def test_schema_names_every_event() -> None:
    defs = events_json_schema()["$defs"]
    assert {t.__name__ for t in EVENT_TYPES} <= set(defs)


def test_principal_sees_own_tenants_and_admin_sees_all() -> None:
    alice, admin = Principal(sub="alice"), Principal(sub="root", roles=("admin",))
    assert alice.may_see("alice") and not alice.may_see("bob")
    assert admin.may_see("bob")


def test_the_committed_json_schema_export_is_current() -> None:
    # Consumers in other languages read contracts/schema/events.schema.json;
    # regenerate it with `uv run python -m tenant_contracts.json_schema`.
    committed = Path(__file__).resolve().parents[2] / "contracts/schema/events.schema.json"
    assert json.loads(committed.read_text()) == events_json_schema()


def test_a_settled_update_or_delete_clears_the_last_attempt_error() -> None:
    common = dict(tenant_id=TENANT, owner="alice", actor="system")
    active = fold([(1, requested()), (2, TenantActive(**common, database="d"))])
    updating = apply(apply(active, TenantUpdating(**common), 3),
                     TenantAttemptFailed(**common, attempt=1, error="conn refused",
                                         retry_at=active.updated_at), 4)
    assert updating.error == "conn refused"
    for settled in (TenantUpdated(**common, changes=TenantChanges(plan="pro")),
                    TenantDeleted(**common)):
        after = apply(updating, settled, 5)
        assert (after.error, after.retry_at) == (None, None), type(settled)
