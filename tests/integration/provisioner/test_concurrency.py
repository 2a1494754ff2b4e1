"""Two provisioners as competing consumers: no double work, requests of a tenant in order."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import msgspec
from nats.js import JetStreamContext

from tenant_contracts.events import TenantUpdated
from tenant_contracts.tenant import fold
from tests.integration.provisioner.support import (
    Provisioners,
    append,
    append_request,
    history,
    request_tenant,
    types,
    wait_consumer_idle,
    wait_for_stage,
    wait_for_type,
)


async def test_two_provisioners_fifty_requests(
    js: JetStreamContext, provisioners: Provisioners
) -> None:
    provisioners.start()
    provisioners.start()
    started = time.monotonic()
    tenants = await asyncio.gather(*(request_tenant(js) for _ in range(50)))
    for tenant in tenants:
        await wait_for_type(js, tenant.tenant_id, "TenantActive", timeout=90)
    elapsed = time.monotonic() - started
    await wait_consumer_idle(js)

    for tenant in tenants:
        seen = Counter(await types(js, tenant.tenant_id))
        assert seen == {"TenantRequested": 1, "TenantProvisioning": 1, "TenantProgress": 4,
                        "TenantActive": 1}, (tenant.tenant_id, seen)
    # Both processes took a share of the work, and together planned each tenant once.
    shares = [provisioners.metrics(p).get('provisioner_attempts_total{kind="provision"}', 0)
              for p in provisioners.running]
    assert sum(shares) == 50 and all(shares), shares
    print(f"50 tenants through two provisioners in {elapsed:.1f}s")


async def test_a_request_stored_while_busy_is_ignored_and_a_later_one_is_handled(
    js: JetStreamContext, provisioners: Provisioners
) -> None:
    """An update appended (by hand: the api answers 409) while the tenant is still being
    provisioned does not apply: the provisioner skips it exactly as the fold ignores it,
    so nobody waits for it; an update requested once the tenant is Active is handled."""
    provisioners.start(PROVISIONER_STAGE_DELAY_SECONDS="0.2")
    provisioners.start(PROVISIONER_STAGE_DELAY_SECONDS="0.2")
    tenant = await request_tenant(js)
    await append_request(js, tenant, "update", {"name": "Renamed early"})
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    await wait_consumer_idle(js)
    assert await types(js, tenant.tenant_id) == [
        "TenantRequested", "TenantUpdateRequested", "TenantProvisioning",
        *["TenantProgress"] * 4, "TenantActive"]
    state = fold(await history(js, tenant.tenant_id))
    assert state is not None and (state.status, state.pending_request) == ("Active", None)
    await append_request(js, tenant, "update", {"name": "Renamed later"})
    await wait_for_type(js, tenant.tenant_id, "TenantUpdated")
    updated = (await history(js, tenant.tenant_id))[-1][1]
    assert isinstance(updated, TenantUpdated) and updated.changes.name == "Renamed later"


async def test_a_request_appended_mid_provisioning_does_not_disturb_it(
    js: JetStreamContext, provisioners: Provisioners
) -> None:
    """A request appended under the working provisioner moves the tenant's last seq: its
    next append conflicts, it sees only a request (which does not apply), and carries
    on in the same attempt."""
    provisioners.start(PROVISIONER_STAGE_DELAY_SECONDS="0.4")
    tenant = await request_tenant(js)
    await wait_for_stage(js, tenant.tenant_id, "migrating")
    await append_request(js, tenant, "update", {"plan": "pro"})
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    await wait_consumer_idle(js)
    seen = await types(js, tenant.tenant_id)
    assert seen.count("TenantProvisioning") == 1, seen
    assert seen[-1] == "TenantActive" and "TenantUpdating" not in seen, seen
    # Its append conflicted with the update and was repeated after it, same attempt.
    (process,) = provisioners.running
    assert provisioners.metrics(process)["provisioner_appends_carried_on_total"] >= 1


async def test_a_redelivered_request_that_is_done_adds_nothing(
    js: JetStreamContext, provisioners: Provisioners
) -> None:
    """The same TenantRequested published again after the dedup window would be a new
    message with the same tenant: the decision says 'already handled'."""
    provisioners.start()
    tenant = await request_tenant(js)
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    before = await types(js, tenant.tenant_id)
    last = (await history(js, tenant.tenant_id))[-1][0]
    # A second TenantRequested (a different event id, as a buggy client might send)
    # does not apply to a tenant that exists: acked with no new events.
    again = msgspec.structs.replace(tenant, event_id=uuid.uuid4())
    await append(js, again, expected=last)
    await wait_consumer_idle(js)
    assert await types(js, tenant.tenant_id) == [*before, "TenantRequested"]
