"""kill -9 in the middle of each stage: a restarted provisioner finishes the job once."""

from __future__ import annotations

import pytest
from nats.js import JetStreamContext

from tenant_contracts.events import TenantProvisioning
from tenant_contracts.tenant import STAGES
from tenantctl.postgres import PostgresCluster
from tests.integration.provisioner.support import (
    Provisioners,
    database_of,
    history,
    request_tenant,
    scalar,
    types,
    wait_consumer_idle,
    wait_for_stage,
    wait_for_type,
)

# Long enough to kill inside a stage; ack_wait short so the redelivery comes soon.
SLOW = {"PROVISIONER_STAGE_DELAY_SECONDS": "0.6", "PROVISIONER_ACK_WAIT_SECONDS": "1.5"}


@pytest.mark.parametrize("stage", [name for name, _ in STAGES])
async def test_kill_during_a_stage_then_restart_ends_active_once(
    stage: str, js: JetStreamContext, provisioners: Provisioners, postgres: PostgresCluster,
    admin_database_url: str,
) -> None:
    first = provisioners.start(**SLOW)
    tenant = await request_tenant(js)
    await wait_for_stage(js, tenant.tenant_id, stage)
    first.kill()
    provisioners.start(**SLOW)

    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    await wait_consumer_idle(js)
    seen = await types(js, tenant.tenant_id)
    assert seen.count("TenantActive") == 1
    assert "TenantFailed" not in seen and "TenantAttemptFailed" not in seen
    # The interrupted attempt is visible, and the next one ran every stage again.
    attempts = [e.attempt for _, e in await history(js, tenant.tenant_id)
                if isinstance(e, TenantProvisioning)]
    assert attempts == [1, 2]
    assert seen[-5:] == ["TenantProgress"] * 4 + ["TenantActive"]

    name = database_of(tenant)
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_database WHERE datname = $1", name) == 1
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_roles WHERE rolname = $1", name) == 1
    tenant_url = postgres.url(name)
    assert await scalar(tenant_url, "SELECT array_agg(version ORDER BY version) "
                        "FROM schema_migrations") == [1, 2, 3]
    assert await scalar(tenant_url, "SELECT count(*) FROM users") == 1


async def test_healthy_slow_work_is_never_redelivered(
    js: JetStreamContext, provisioners: Provisioners
) -> None:
    """Provisioning takes longer than ack_wait; in-progress acks keep the other
    provisioner from getting the request, so there is one attempt only."""
    env = {"PROVISIONER_STAGE_DELAY_SECONDS": "0.5", "PROVISIONER_ACK_WAIT_SECONDS": "0.6"}
    provisioners.start(**env)
    provisioners.start(**env)
    tenant = await request_tenant(js)
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    await wait_consumer_idle(js)
    seen = await types(js, tenant.tenant_id)
    assert seen.count("TenantProvisioning") == 1 and seen.count("TenantActive") == 1
    info = await js.consumer_info("TENANTS", "provisioner")
    assert info.num_redelivered == 0
