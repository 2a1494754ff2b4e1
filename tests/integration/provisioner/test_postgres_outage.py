"""PostgreSQL goes away: attempts are recorded, retried with backoff, and never end silently.

These tests stop PostgreSQL, so they use a cluster of their own for the tenant
databases, never the session's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from nats.js import JetStreamContext

from tenant_contracts.events import (
    TenantAttemptFailed,
    TenantFailed,
    TenantProvisioning,
)
from tenantctl.postgres import PostgresCluster
from tests.integration.provisioner.support import (
    Provisioners,
    append_request,
    database_of,
    history,
    request_tenant,
    scalar,
    types,
    wait_consumer_idle,
    wait_for_stage,
    wait_for_type,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    own = PostgresCluster.temporary().init().start()
    yield own
    own.remove()


@pytest.fixture
def started(cluster: PostgresCluster) -> PostgresCluster:
    if not (cluster.data_dir / "postmaster.pid").exists():
        cluster.start()  # a previous test may have left it stopped
    return cluster


async def test_outage_within_the_retry_window_ends_active(
    js: JetStreamContext, provisioners: Provisioners, started: PostgresCluster
) -> None:
    provisioners.start(started.url(), PROVISIONER_BACKOFF_SECONDS="0.5,1,1,1,1,1",
                       PROVISIONER_STAGE_DELAY_SECONDS="0.4")
    tenant = await request_tenant(js)
    await wait_for_stage(js, tenant.tenant_id, "migrating")
    await asyncio.to_thread(started.stop, "immediate")
    await wait_for_type(js, tenant.tenant_id, "TenantAttemptFailed")
    await asyncio.to_thread(started.start)

    await wait_for_type(js, tenant.tenant_id, "TenantActive", timeout=40)
    await wait_consumer_idle(js)
    events = [e for _, e in await history(js, tenant.tenant_id)]
    failed = [e for e in events if isinstance(e, TenantAttemptFailed)]
    assert failed and all(e.retry_at is not None and e.error for e in failed)
    assert failed[0].attempt == 1
    attempts = [e.attempt for e in events if isinstance(e, TenantProvisioning)]
    assert attempts == list(range(1, len(attempts) + 1)) and len(attempts) == len(failed) + 1
    assert "TenantFailed" not in await types(js, tenant.tenant_id)
    assert await scalar(started.url(database_of(tenant)),
                        "SELECT count(*) FROM schema_migrations") == 3


async def test_outage_past_the_last_attempt_fails_then_a_retry_succeeds(
    js: JetStreamContext, provisioners: Provisioners, started: PostgresCluster
) -> None:
    await asyncio.to_thread(started.stop)
    provisioners.start(started.url(), PROVISIONER_BACKOFF_SECONDS="0.2,0.3")
    tenant = await request_tenant(js)

    await wait_for_type(js, tenant.tenant_id, "TenantFailed")
    events = [e for _, e in await history(js, tenant.tenant_id)]
    final = events[-1]
    assert isinstance(final, TenantFailed) and final.attempts == 3
    assert "Connect" in final.error or "refused" in final.error, final.error
    assert [type(e).__name__ for e in events[1:]].count("TenantAttemptFailed") == 2

    await asyncio.to_thread(started.start)
    # The api appends TenantRetryRequested for POST /api/v1/tenants/<id>/retry.
    await append_request(js, tenant, "retry")
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    await wait_consumer_idle(js)
    after_retry = [e for _, e in await history(js, tenant.tenant_id)]
    retry_index = [type(e).__name__ for e in after_retry].index("TenantRetryRequested")
    new_series = [e.attempt for e in after_retry[retry_index:]
                  if isinstance(e, TenantProvisioning)]
    assert new_series == [1]  # a new series of attempts
    assert (await types(js, tenant.tenant_id)).count("TenantActive") == 1


async def test_max_deliveries_advisory_gives_the_request_an_outcome(
    js: JetStreamContext, provisioners: Provisioners, started: PostgresCluster
) -> None:
    """JetStream stops redelivering before the attempts run out (max_deliver 1):
    the advisory makes the provisioner record TenantFailed instead of silence."""
    await asyncio.to_thread(started.stop)
    provisioners.start(started.url(), PROVISIONER_BACKOFF_SECONDS="0.2,0.2,0.2",
                       PROVISIONER_MAX_DELIVER="1")
    tenant = await request_tenant(js)
    await wait_for_type(js, tenant.tenant_id, "TenantFailed")
    events = [e for _, e in await history(js, tenant.tenant_id)]
    final = events[-1]
    assert isinstance(final, TenantFailed)
    assert final.error.startswith("gave up after 1 deliveries"), final.error
    assert [type(e).__name__ for e in events].count("TenantAttemptFailed") == 1
