"""SIGTERM: stop fetching, finish or hand back the current request, exit in the grace period."""

from __future__ import annotations

import time

from nats.js import JetStreamContext

from tenant_contracts.events import TenantProvisioning
from tests.integration.provisioner.support import (
    Provisioners,
    history,
    request_tenant,
    types,
    wait_consumer_idle,
    wait_for_stage,
    wait_for_type,
)


async def test_sigterm_finishes_the_current_request_within_the_grace_period(
    js: JetStreamContext, provisioners: Provisioners
) -> None:
    process = provisioners.start(PROVISIONER_STAGE_DELAY_SECONDS="0.3",
                                 PROVISIONER_GRACE_SECONDS="10")
    tenant = await request_tenant(js)
    await wait_for_stage(js, tenant.tenant_id, "creating_database")
    started = time.monotonic()
    assert process.stop(grace=10) == 0
    assert time.monotonic() - started < 5
    # It finished the tenant it had before exiting.
    assert (await types(js, tenant.tenant_id))[-1] == "TenantActive"


async def test_sigterm_hands_back_work_that_outlasts_the_grace_period(
    js: JetStreamContext, provisioners: Provisioners
) -> None:
    slow = {"PROVISIONER_STAGE_DELAY_SECONDS": "2", "PROVISIONER_GRACE_SECONDS": "0.5"}
    process = provisioners.start(**slow)
    tenant = await request_tenant(js)
    await wait_for_stage(js, tenant.tenant_id, "creating_database")
    started = time.monotonic()
    assert process.stop(grace=10) == 0
    assert time.monotonic() - started < 3
    assert "TenantActive" not in await types(js, tenant.tenant_id)

    # Handed back with a nak, so the next provisioner gets it at once (no ack_wait),
    # and a new attempt finishes the job.
    provisioners.start(PROVISIONER_STAGE_DELAY_SECONDS="0")
    await wait_for_type(js, tenant.tenant_id, "TenantActive", timeout=10)
    await wait_consumer_idle(js)
    attempts = [e.attempt for _, e in await history(js, tenant.tenant_id)
                if isinstance(e, TenantProvisioning)]
    assert attempts == [1, 2]
