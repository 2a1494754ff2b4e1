"""The projection's batch fold agrees with the contract's fold and is idempotent."""

from __future__ import annotations

import uuid

from tenant_api.folding import fold_batch
from tenant_contracts.events import (
    EventBase,
    TenantActive,
    TenantDeleted,
    TenantProgress,
    TenantProvisioning,
    TenantRequested,
)
from tenant_contracts.tenant import fold


def _requested(tenant_id: uuid.UUID, slug: str) -> TenantRequested:
    return TenantRequested(tenant_id=tenant_id, owner="o", actor="o", name="n", slug=slug,
                           plan="free", admin_email="a@b.c")


def test_matches_the_contract_fold_and_skips_what_a_row_already_has() -> None:
    tid = uuid.uuid4()
    events: list[tuple[int, EventBase | None]] = [
        (1, _requested(tid, "acme")), (2, TenantProvisioning(tenant_id=tid, owner="o",
                                                             actor="system", attempt=1)),
        (3, None),  # undecodable
        (4, TenantActive(tenant_id=tid, owner="o", actor="system", database="tenant_acme")),
    ]
    changes = fold_batch({}, events)
    expected = fold((s, e) for s, e in events if e is not None)
    assert changes.tenants == {tid: expected} and changes.ignored == 1
    # A row written at seq 4 already (by a request handler) is left alone.
    assert fold_batch({tid: expected}, events).tenants == {}


def test_orphans_are_ignored_and_slugs_follow_stream_order() -> None:
    first, second, orphan = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    changes = fold_batch({}, [
        (1, TenantProgress(tenant_id=orphan, owner="o", actor="s", stage="x", percent=1)),
        (2, _requested(first, "acme")),
        (3, TenantDeleted(tenant_id=first, owner="o", actor="system")),
        (4, _requested(second, "acme")),
    ])
    assert changes.ignored == 1 and set(changes.tenants) == {first, second}
    assert changes.slugs == [(True, "acme", first), (False, "acme", first),
                             (True, "acme", second)]


def test_an_event_claiming_another_owner_is_poison_in_a_batch_and_across_batches() -> None:
    tid = uuid.uuid4()
    forged = TenantActive(tenant_id=tid, owner="mallory", actor="system", database="x")
    changes = fold_batch({}, [(1, _requested(tid, "own")), (2, forged)])
    assert changes.ignored == 1 and changes.tenants[tid].status == "Pending"
    row = changes.tenants[tid]
    assert fold_batch({tid: row}, [(3, forged)]).tenants == {}
    again = TenantRequested(tenant_id=tid, owner="mallory", actor="mallory", name="n",
                            slug="own", plan="free", admin_email="a@b.c")
    later = fold_batch({tid: row}, [(4, again)])
    assert later.ignored == 1 and later.tenants == {}
