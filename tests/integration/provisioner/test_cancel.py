"""Cancel: the provisioner stops at the next stage boundary (at once when nothing is
running), drops what it created, and the tenant ends Cancelled exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js import JetStreamContext

from tenant_contracts.events import (
    TenantAttemptFailed,
    TenantCancelRequested,
    event_type_name,
)
from tenant_contracts.tenant import STAGES, Status, fold
from tenantctl.postgres import PostgresCluster
from tests.conftest import wait_until
from tests.integration.provisioner.support import (
    Provisioners,
    append_request,
    history,
    leftovers,
    request_tenant,
    types,
    wait_consumer_idle,
    wait_for_stage,
    wait_for_type,
)

TERMINAL = ("TenantActive", "TenantFailed", "TenantCancelled")
SLOW = {"PROVISIONER_STAGE_DELAY_SECONDS": "0.6", "PROVISIONER_ACK_WAIT_SECONDS": "1.5"}


async def after_cancel(js: JetStreamContext, tenant_id: uuid.UUID) -> list[str]:
    """The types of the events stored after the (first) cancel request."""
    events = [e for _, e in await history(js, tenant_id)]
    first = next(i for i, e in enumerate(events) if isinstance(e, TenantCancelRequested))
    return [event_type_name(e) for e in events[first + 1:]]


async def assert_cancelled_and_clean(js: JetStreamContext, tenant_id: uuid.UUID,
                                     admin_url: str, tenant: object) -> None:
    seen = await types(js, tenant_id)
    assert [t for t in seen if t in TERMINAL] == ["TenantCancelled"], seen
    state = fold(await history(js, tenant_id))
    assert state is not None and state.status is Status.CANCELLED
    assert state.pending_request is None
    assert await leftovers(admin_url, tenant) == (0, 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("stage", [name for name, _ in STAGES])
async def test_a_cancel_in_each_stage_stops_at_the_next_boundary_and_drops_everything(
    stage: str, js: JetStreamContext, provisioners: Provisioners, admin_database_url: str,
) -> None:
    provisioners.start(**SLOW)
    tenant = await request_tenant(js)
    await wait_for_stage(js, tenant.tenant_id, stage)
    await append_request(js, tenant, "cancel")
    await wait_for_type(js, tenant.tenant_id, "TenantCancelled")
    await wait_consumer_idle(js)
    await assert_cancelled_and_clean(js, tenant.tenant_id, admin_database_url, tenant)
    # No stage began after the cancel was stored: the worker stopped at its boundary.
    assert await after_cancel(js, tenant.tenant_id) == ["TenantCancelled"]


async def test_a_cancel_of_a_pending_tenant_overtakes_its_request(
    js: JetStreamContext, provisioners: Provisioners, admin_database_url: str,
) -> None:
    tenant = await request_tenant(js)
    await append_request(js, tenant, "cancel")  # before any provisioner runs
    provisioners.start()
    await wait_for_type(js, tenant.tenant_id, "TenantCancelled")
    await wait_consumer_idle(js)
    assert await types(js, tenant.tenant_id) == [
        "TenantRequested", "TenantCancelRequested", "TenantCancelled"]
    await assert_cancelled_and_clean(js, tenant.tenant_id, admin_database_url, tenant)


@pytest.fixture
async def template_held(postgres: PostgresCluster) -> AsyncIterator[asyncpg.Connection]:
    """A session on template1: CREATE DATABASE fails (55006, transient) while it lasts."""
    conn = await asyncpg.connect(postgres.url("template1"))
    yield conn
    if not conn.is_closed():
        await conn.close()


async def test_a_cancel_while_waiting_for_a_retry_acts_at_once(
    js: JetStreamContext, provisioners: Provisioners, admin_database_url: str,
    template_held: asyncpg.Connection,
) -> None:
    # A retry 10 minutes away: the cancel must not wait for it.
    provisioners.start(PROVISIONER_BACKOFF_SECONDS="600,600")
    tenant = await request_tenant(js)
    await wait_for_type(js, tenant.tenant_id, "TenantAttemptFailed", timeout=30)
    failed = [e for _, e in await history(js, tenant.tenant_id)
              if isinstance(e, TenantAttemptFailed)]
    assert failed[0].retry_at is not None
    assert await leftovers(admin_database_url, tenant) == (0, 1)  # its role was created
    await template_held.close()

    await append_request(js, tenant, "cancel")
    await wait_for_type(js, tenant.tenant_id, "TenantCancelled", timeout=10)
    await assert_cancelled_and_clean(js, tenant.tenant_id, admin_database_url, tenant)
    assert await after_cancel(js, tenant.tenant_id) == ["TenantCancelled"]


async def test_a_cancel_racing_with_completion_ends_in_exactly_one_terminal_event(
    js: JetStreamContext, provisioners: Provisioners, admin_database_url: str,
) -> None:
    provisioners.start(PROVISIONER_STAGE_DELAY_SECONDS="0.05", PROVISIONER_CONCURRENCY="8")
    tenants = [await request_tenant(js) for _ in range(8)]

    async def cancel_late(index: int) -> None:
        tenant = tenants[index]
        await wait_for_stage(js, tenant.tenant_id, "verifying")
        await asyncio.sleep(0.01 * index)  # spread the cancels around the end
        await append_request(js, tenant, "cancel")

    await asyncio.gather(*(cancel_late(i) for i in range(len(tenants))))
    outcomes: dict[str, int] = {}
    for tenant in tenants:
        seen = await wait_until(lambda t=tenant: _terminal(js, t.tenant_id), timeout=30)
        assert len(seen) == 1, seen
        outcomes[seen[0]] = outcomes.get(seen[0], 0) + 1
        state = fold(await history(js, tenant.tenant_id))
        assert state is not None and state.pending_request is None
        if seen == ["TenantActive"]:
            assert await leftovers(admin_database_url, tenant) == (1, 1)
        else:
            assert seen == ["TenantCancelled"]
            assert await leftovers(admin_database_url, tenant) == (0, 0)
    print("race outcomes:", outcomes)  # which side won: shown with -s
    await wait_consumer_idle(js)
    for tenant in tenants:  # nothing more came after the consumer went idle
        assert len(await _terminal(js, tenant.tenant_id)) == 1


async def _terminal(js: JetStreamContext, tenant_id: uuid.UUID) -> list[str]:
    return [t for t in await types(js, tenant_id) if t in TERMINAL]


@pytest.mark.parametrize("kill_after", [0.0, 0.3, 0.6, 0.9, 1.2])
async def test_kill_9_during_a_cancel_still_ends_cancelled_once_with_nothing_left(
    kill_after: float, js: JetStreamContext, provisioners: Provisioners,
    admin_database_url: str,
) -> None:
    first = provisioners.start(**SLOW)
    tenant = await request_tenant(js)
    await wait_for_stage(js, tenant.tenant_id, "migrating")
    await append_request(js, tenant, "cancel")
    await asyncio.sleep(kill_after)  # a point in the cancel: noticing, dropping, recording
    first.kill()
    provisioners.start(**SLOW)
    await wait_for_type(js, tenant.tenant_id, "TenantCancelled")
    await wait_consumer_idle(js)
    await assert_cancelled_and_clean(js, tenant.tenant_id, admin_database_url, tenant)
    # The restarted provisioner cancelled; it did not provision on.
    assert await after_cancel(js, tenant.tenant_id) == ["TenantCancelled"]
