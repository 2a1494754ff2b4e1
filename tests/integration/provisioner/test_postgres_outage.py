"""PostgreSQL goes away: attempts are recorded, retried with backoff, and never end silently.

These tests stop PostgreSQL, so they use a cluster of their own for the tenant
databases, never the session's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext

from tenant_contracts.events import (
    TenantAttemptFailed,
    TenantCancelled,
    TenantFailed,
    TenantProvisioning,
)
from tenantctl.nats_server import NatsServer
from tenantctl.postgres import PostgresCluster
from tests.conftest import wait_until
from tests.e2e.harness import Platform
from tests.integration.provisioner.support import (
    Provisioners,
    append_request,
    database_of,
    history,
    new_slug,
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


async def test_outage_past_the_last_attempt_fails_then_a_retry_through_the_api_succeeds(
    own_nats: NatsServer, js: JetStreamContext, fresh_database: str, started: PostgresCluster
) -> None:
    """The api and the provisioner as real processes: POST, TenantFailed after the last
    attempt, PostgreSQL back, POST .../retry, Active."""
    await asyncio.to_thread(started.stop)
    platform = Platform(nats_url=own_nats.url, nats_credentials=own_nats.auth,
                        database_url=fresh_database,
                        provisioner_database_url=started.url(),
                        extra_env={"PROVISIONER_BACKOFF_SECONDS": "0.2,0.3"})
    try:
        await asyncio.to_thread(platform.start, "api", "provisioner")
        async with httpx.AsyncClient(base_url=platform.api_url, headers={
                "Authorization": f"Bearer {Platform.token('alice')}"}) as api:
            slug = new_slug()
            created = await api.post("/api/v1/tenants", json={
                "name": "Outage Inc", "slug": slug, "admin_email": "ops@outage.example"})
            assert created.status_code == 202, created.text
            tenant_id = uuid.UUID(created.json()["id"])

            failed = await wait_for_status(api, tenant_id, "Failed")
            assert failed["attempt"] == 3
            assert "Connect" in failed["error"] or "refused" in failed["error"], failed
            events = [e for _, e in await history(js, tenant_id)]
            assert isinstance(events[-1], TenantFailed) and events[-1].attempts == 3
            assert [type(e).__name__ for e in events].count("TenantAttemptFailed") == 2

            await asyncio.to_thread(started.start)
            retried = await api.post(f"/api/v1/tenants/{tenant_id}/retry")
            assert retried.status_code == 202, retried.text
            await wait_for_status(api, tenant_id, "Active")
    finally:
        await asyncio.to_thread(platform.stop)

    await wait_consumer_idle(js)
    after = [e for _, e in await history(js, tenant_id)]
    names = [type(e).__name__ for e in after]
    new_series = [e.attempt for e in after[names.index("TenantRetryRequested"):]
                  if isinstance(e, TenantProvisioning)]
    assert new_series == [1]  # a new series of attempts
    assert names.count("TenantActive") == 1
    assert await scalar(started.url(f"tenant_{slug.replace('-', '_')}"),
                        "SELECT email FROM users") == "ops@outage.example"


async def wait_for_status(api: httpx.AsyncClient, tenant_id: uuid.UUID,
                          status: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        body: dict[str, Any] = (await api.get(f"/api/v1/tenants/{tenant_id}")).json()
        return body if body["status"] == status else None

    found: dict[str, Any] = await wait_until(reached, timeout=30, interval=0.1)
    return found


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


async def test_a_cancel_pending_when_jetstream_gives_up_ends_cancelled_once_postgres_is_back(
    js: JetStreamContext, provisioners: Provisioners, started: PostgresCluster
) -> None:
    """The owner cancelled while PostgreSQL was away and JetStream stopped redelivering
    (max_deliver 1): the outcome is the cancel, carried out once the drop can run, not
    TenantFailed."""
    await asyncio.to_thread(started.stop)
    tenant = await request_tenant(js)
    await append_request(js, tenant, "cancel")
    provisioners.start(started.url(), PROVISIONER_BACKOFF_SECONDS="0.2,0.2,0.2",
                       PROVISIONER_MAX_DELIVER="1")
    await wait_consumer_idle(js)  # both messages delivered once, then given up on
    assert "TenantFailed" not in await types(js, tenant.tenant_id)
    await asyncio.to_thread(started.start)
    await wait_for_type(js, tenant.tenant_id, "TenantCancelled", timeout=60)
    events = [e for _, e in await history(js, tenant.tenant_id)]
    assert isinstance(events[-1], TenantCancelled)
    assert [type(e).__name__ for e in events].count("TenantCancelled") == 1
    assert not any(isinstance(e, TenantFailed) for e in events)
