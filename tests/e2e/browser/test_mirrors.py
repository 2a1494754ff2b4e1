"""The page's fold and form checks agree with contracts' and the api's.

The SPA folds socket events into rows itself (tenant-fold.js) and checks the create form
itself (validation.js), both with the tables and field rules served by
GET /api/v1/vocabulary; here both run in Chromium beside the Python they mirror.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from tenant_api.decisions import InvalidFields, check_create
from tenant_api.wire import CreateTenant
from tenant_contracts.codec import encode_event
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
from tenant_contracts.tenant import Tenant, apply
from tests.e2e.browser.conftest import OpenSpa

FOLD_IN_PAGE = """async (frames) => {
  const { applyEvent } = await import("/tenant-fold.js");
  let tenant = null;
  return frames.map(([seq, event]) => (tenant = applyEvent(tenant, event, seq)));
}"""

VALIDATE_IN_PAGE = """async (samples) => {
  const { validateCreate } = await import("/validation.js");
  return samples.map((sample) => Object.keys(validateCreate(sample)).length === 0);
}"""


def a_life() -> list[EventBase]:
    tid, owner = uuid.uuid4(), "ada"
    start = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    common: list[dict[str, Any]] = [
        {"tenant_id": tid, "owner": owner, "actor": actor,
         "occurred_at": start + timedelta(seconds=i)}
        for i, actor in enumerate(["ada"] + ["system"] * 20)
    ]
    at = iter(common)
    steps: list[EventBase] = [
        TenantRequested(**next(at), name="Acme", slug="acme", plan="free",
                        admin_email="a@acme.example"),
        TenantProvisioning(**next(at), attempt=1),
        TenantProgress(**next(at), stage="creating_database", percent=10),
        TenantAttemptFailed(**next(at), attempt=1, error="connection refused",
                            retry_at=start + timedelta(seconds=30)),
        TenantProvisioning(**next(at), attempt=2),
        TenantAttemptFailed(**next(at), attempt=2, error="still refused", retry_at=None),
        TenantFailed(**next(at), error="still refused", attempts=2),
        TenantRetryRequested(**next(at)),
        TenantProvisioning(**next(at), attempt=1),
        TenantProgress(**next(at), stage="verifying", percent=85, message="checking"),
        TenantActive(**next(at), database="tenant_acme"),
        TenantUpdateRequested(**next(at), changes=TenantChanges(plan="pro")),
        TenantUpdating(**next(at)),
        # a failed attempt before each settles: its error must not outlive the outcome
        TenantAttemptFailed(**next(at), attempt=1, error="lock timeout",
                            retry_at=start + timedelta(minutes=5)),
        TenantUpdated(**next(at), changes=TenantChanges(name="Acme 2", plan="pro")),
        TenantUpdated(**next(at), changes=TenantChanges(name="Acme 3")),
        TenantDeletionRequested(**next(at)),
        TenantDeleting(**next(at)),
        TenantAttemptFailed(**next(at), attempt=1, error="too many connections",
                            retry_at=start + timedelta(minutes=6)),
        TenantDeleted(**next(at)),
    ]
    return steps


def a_cancelled_life() -> list[EventBase]:
    tid, owner = uuid.uuid4(), "bob"
    start = datetime(2026, 2, 3, 4, 5, 6, 654321, tzinfo=UTC)
    at = iter([{"tenant_id": tid, "owner": owner, "actor": actor,
                "occurred_at": start + timedelta(seconds=i)}
               for i, actor in enumerate(["bob"] + ["system"] * 20)])
    return [
        TenantRequested(**next(at), name="Beta", slug="beta", plan="pro",
                        admin_email="b@beta.example"),
        TenantCancelRequested(**next(at)),  # overtakes the pending TenantRequested
        TenantCancelRequested(**next(at)),  # a second one is ignored
        TenantCancelled(**next(at)),
        TenantCancelRequested(**next(at)),  # ignored: Cancelled takes no cancel
        TenantRetryRequested(**next(at)),
        TenantProvisioning(**next(at), attempt=1),
        TenantProgress(**next(at), stage="migrating", percent=35),
        TenantAttemptFailed(**next(at), attempt=1, error="deadlock",
                            retry_at=start + timedelta(minutes=1)),
        TenantCancelRequested(**next(at)),  # while waiting for the retry
        TenantProgress(**next(at), stage="seeding", percent=60),  # keeps the cancel pending
        TenantActive(**next(at), database="tenant_beta"),  # completion won the race
        TenantCancelRequested(**next(at)),  # ignored: Active
        TenantDeletionRequested(**next(at)),
    ]


@pytest.mark.parametrize("life", [a_life, a_cancelled_life])
async def test_the_pages_fold_matches_the_contracts_fold(
        open_spa: OpenSpa, life: Callable[[], list[EventBase]]) -> None:
    events = life()
    frames = [(seq, json.loads(encode_event(e))) for seq, e in enumerate(events, start=7)]
    expected: list[Any] = []
    tenant: Tenant | None = None
    for seq, event in enumerate(events, start=7):
        tenant = apply(tenant, event, seq)
        expected.append(msgspec.to_builtins(tenant))

    spa = await open_spa()
    folded = await spa.page.evaluate(FOLD_IN_PAGE, frames)
    for seq_event, want, got in zip(frames, expected, folded, strict=True):
        assert got == want, seq_event[1]["type"]


async def test_the_forms_rules_match_the_apis(open_spa: OpenSpa) -> None:
    valid = {"name": "Acme", "slug": "acme", "plan": "free", "admin_email": "a@acme.example"}
    variants = [
        {}, {"name": ""}, {"name": "   "}, {"name": "x" * 100}, {"name": "x" * 101},
        {"name": "Acme\x00"}, {"name": "Ac\tme"}, {"name": "Acme\n"}, {"name": "Ünïcode ✓"},
        {"slug": "ab"}, {"slug": "abc"}, {"slug": "a" * 40}, {"slug": "a" * 41},
        {"slug": "9abc"}, {"slug": "-abc"}, {"slug": "Abc"}, {"slug": "ab_c"}, {"slug": "a-b-1"},
        {"slug": "abc\n"},
        {"plan": "gold"}, {"plan": "enterprise"},
        {"admin_email": "nope"}, {"admin_email": "a@b"}, {"admin_email": "a b@c.d"},
        {"admin_email": "x" * 250 + "@a.io"}, {"admin_email": "a\x01b@c.io"},
    ]
    samples = [{**valid, **variant} for variant in variants]

    def api_accepts(sample: dict[str, str]) -> bool:
        # The api's two checks: the body's schema, then whole-value patterns.
        try:
            check_create(msgspec.convert(sample, CreateTenant))
        except (msgspec.ValidationError, InvalidFields):
            return False
        return True

    spa = await open_spa()
    in_page = await spa.page.evaluate(VALIDATE_IN_PAGE, samples)
    assert in_page == [api_accepts(s) for s in samples], list(zip(variants, in_page, strict=True))
