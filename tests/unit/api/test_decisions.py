"""Status rules decided from a tenant's history, without any I/O."""

from __future__ import annotations

import uuid

import pytest

from tenant_api.decisions import (
    InvalidFields,
    InvalidRequest,
    TenantConflict,
    TenantNotFound,
    check_create,
    current_state,
    decide_delete,
    decide_retry,
    decide_update,
    fingerprint,
)
from tenant_api.wire import CreateTenant, UpdateTenant
from tenant_contracts.access import Principal
from tenant_contracts.events import (
    EventBase,
    TenantActive,
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
from tenant_contracts.tenant import is_busy

TID = uuid.uuid4()
ALICE = Principal(sub="alice")
BOB = Principal(sub="bob")
ADMIN = Principal(sub="root", roles=("admin",))


def _history(*types: type[EventBase]) -> list[tuple[int, EventBase]]:
    fields: dict[type[EventBase], dict[str, object]] = {
        TenantRequested: {"name": "n", "slug": "acme", "plan": "free", "admin_email": "a@b.c"},
        TenantProvisioning: {"attempt": 1}, TenantActive: {"database": "tenant_acme"},
        TenantFailed: {"error": "boom", "attempts": 3},
        TenantUpdateRequested: {"changes": TenantChanges(plan="pro")},
        TenantUpdated: {"changes": TenantChanges(plan="pro")},
    }
    return [(seq, t(tenant_id=TID, owner="alice", actor="x", **fields.get(t, {})))
            for seq, t in enumerate(types, start=10)]


REQUESTED = (TenantRequested,)
PROVISIONING = (*REQUESTED, TenantProvisioning)
ACTIVE = (*PROVISIONING, TenantActive)
FAILED = (*PROVISIONING, TenantFailed)
RULES = [  # history, may update?, may delete?, may retry?
    (REQUESTED, False, False, False),
    (PROVISIONING, False, False, False),
    (ACTIVE, True, True, False),
    # A Failed tenant has no database to update: only deletion or a retry applies.
    (FAILED, False, True, True),
    ((*ACTIVE, TenantUpdateRequested), False, False, False),
    ((*ACTIVE, TenantUpdateRequested, TenantUpdating), False, False, False),
    ((*ACTIVE, TenantUpdateRequested, TenantUpdating, TenantUpdated), True, True, False),
    ((*FAILED, TenantRetryRequested), False, False, False),
    ((*FAILED, TenantDeletionRequested), False, False, False),
    ((*ACTIVE, TenantDeletionRequested, TenantDeleting), False, False, False),
    ((*ACTIVE, TenantDeletionRequested, TenantDeleting, TenantDeleted), False, False, False),
]


@pytest.mark.parametrize(("types", "updatable", "deletable", "retryable"), RULES)
def test_status_rules(types: tuple[type[EventBase], ...], updatable: bool, deletable: bool,
                      retryable: bool) -> None:
    history = _history(*types)
    for allowed, decide in ((updatable, lambda: decide_update(history, ALICE,
                                                              UpdateTenant(name="x"))),
                            (deletable, lambda: decide_delete(history, ALICE))):
        if allowed:
            assert decide().tenant_id == TID
        else:
            with pytest.raises(TenantConflict):
                decide()
    if retryable:
        assert isinstance(decide_retry(history, ALICE), TenantRetryRequested)
    else:
        with pytest.raises(TenantConflict):
            decide_retry(history, ALICE)


def test_a_pending_request_is_busy_though_the_status_is_unchanged() -> None:
    history = _history(*ACTIVE, TenantUpdateRequested)
    tenant = current_state(history)
    assert tenant is not None and tenant.status == "Active"
    assert is_busy(tenant) and tenant.pending_request == "TenantUpdateRequested"


def test_others_see_nothing_admins_everything() -> None:
    history = _history(*ACTIVE)
    with pytest.raises(TenantNotFound):
        decide_delete(history, BOB)
    with pytest.raises(TenantNotFound):
        decide_delete([], ALICE)
    event = decide_update(history, ADMIN, UpdateTenant(plan="pro"))
    assert (event.owner, event.actor, event.changes.as_dict()) == ("alice", "root",
                                                                   {"plan": "pro"})


def test_an_empty_update_is_invalid() -> None:
    with pytest.raises(InvalidRequest):
        decide_update(_history(*ACTIVE), ALICE, UpdateTenant())


def test_events_before_the_request_are_skipped() -> None:
    orphan = (1, TenantProgress(tenant_id=TID, owner="alice", actor="x", stage="s", percent=1))
    tenant = current_state([orphan, *_history(*ACTIVE)])
    assert tenant is not None and tenant.status == "Active"


def test_whole_values_must_match() -> None:
    good = CreateTenant(name="Acme", slug="acme", admin_email="a@b.example")
    check_create(good)
    for bad in (CreateTenant(name="Acme", slug="acme\n", admin_email="a@b.example"),
                CreateTenant(name="Acme\n", slug="acme", admin_email="a@b.example"),
                CreateTenant(name="Acme", slug="acme", admin_email="a@b.example\n")):
        with pytest.raises(InvalidFields):
            check_create(bad)


def test_fingerprint_compares_meaning() -> None:
    explicit = CreateTenant(name="A", slug="abc", admin_email="a@b.c", plan="free")
    implicit = CreateTenant(name="A", slug="abc", admin_email="a@b.c")
    assert fingerprint(explicit) == fingerprint(implicit)
    assert fingerprint(explicit) != fingerprint(CreateTenant(name="B", slug="abc",
                                                             admin_email="a@b.c"))
