"""The operations view's figures against a stream made for the test: known counts, a
retrying tenant, a failure, stage durations; admins only (404 for everyone else)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from tenant_contracts.events import (
    TenantActive,
    TenantAttemptFailed,
    TenantCancelled,
    TenantFailed,
    TenantProgress,
    TenantProvisioning,
)
from tenant_contracts.heartbeat import HEARTBEAT_SUBJECT, ProvisionerHeartbeat
from tenant_contracts.subjects import REQUEST_SUBJECTS, STREAM_NAME
from tenant_contracts.tenant import STAGES
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tests.conftest import nats_url_as, wait_until
from tests.integration.api.support import Api, Provisioner, auth, running_api, settings

ADMIN = auth("ops-admin", "admin")
# Tenant i spends BASE[stage] + i/10 seconds in each stage.
BASE = {"creating_database": 1.0, "migrating": 2.0, "seeding": 3.0, "verifying": 4.0}
RETRY_AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def ops_nats() -> Iterator[NatsServer]:
    with temporary_nats_server("ops-nats-") as server:
        yield server  # a stream of the test's own: its figures are known exactly


@pytest.fixture
async def ops_api(ops_nats: NatsServer, fresh_database: str) -> AsyncIterator[Api]:
    async with running_api(settings(nats_url_as(ops_nats, "api"), fresh_database)) as api:
        yield api


@pytest.fixture
async def stream(ops_api: Api, ops_nats: NatsServer) -> AsyncIterator[dict[str, Any]]:
    """Tenants in known states, and the provisioner's consumer (no provisioner runs)."""
    nc = await nats.connect(**ops_nats.connect_options("admin"))
    js = nc.jetstream()
    await js.add_consumer(STREAM_NAME, ConsumerConfig(
        durable_name="provisioner", filter_subjects=list(REQUEST_SUBJECTS),
        ack_policy=AckPolicy.EXPLICIT))
    provisioner = Provisioner(nc)
    user = "ops-user"
    made: dict[str, Any] = {"pending": [await ops_api.create(user) for _ in range(2)]}
    start = datetime.now(UTC) - timedelta(minutes=10)
    made["active"] = []
    for i in range(5):
        tenant = await ops_api.create(user)
        at = start + timedelta(minutes=i)
        await provisioner.append(tenant, TenantProvisioning, attempt=1, occurred_at=at)
        for stage, percent in STAGES:
            await provisioner.append(tenant, TenantProgress, stage=stage, percent=percent,
                                     occurred_at=at)
            at += timedelta(seconds=BASE[stage] + i / 10)
        await provisioner.append(tenant, TenantActive, database="tenant_x", occurred_at=at)
        made["active"].append(tenant)
    made["migrating"] = tenant = await ops_api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantProgress, stage="creating_database", percent=10)
    await provisioner.append(tenant, TenantProgress, stage="migrating", percent=35)
    made["retrying"] = tenant = await ops_api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantProgress, stage="creating_database", percent=10)
    await provisioner.append(tenant, TenantAttemptFailed, attempt=1,
                             error="connection refused", retry_at=RETRY_AT)
    made["failed"] = tenant = await ops_api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantFailed, error="disk full", attempts=3)
    made["cancelled"] = tenant = await ops_api.create(user)
    cancel = await ops_api.client.post(f"/api/v1/tenants/{tenant['id']}/cancel",
                                       headers=auth(user))
    assert cancel.status_code == 202
    await provisioner.append(tenant, TenantCancelled)
    made["requests"] = 2 + 5 + 3 + 1 + 1  # TenantRequested each, and one cancel
    made["nc"] = nc
    await ops_api.wait_projected()
    yield made
    await nc.close()


async def test_the_overview_figures(ops_api: Api, stream: dict[str, Any]) -> None:
    response = await ops_api.client.get("/api/v1/ops/overview", headers=ADMIN)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["counts"] == {"Pending": 2, "Provisioning": 2, "Active": 5, "Failed": 1,
                              "Updating": 0, "Deleting": 0, "Deleted": 0, "Cancelled": 1}
    backlog = view["backlog"]
    assert {w["tenant_id"] for w in backlog["waiting"]} == {t["id"] for t in stream["pending"]}
    assert {w["request"] for w in backlog["waiting"]} == {"TenantRequested"}
    [running] = backlog["in_progress"]
    assert running["tenant_id"] == stream["migrating"]["id"]
    assert (running["stage"], running["attempt"], running["cancel_requested"]) == (
        "migrating", 1, False)
    [retrying] = backlog["retrying"]
    assert retrying["tenant_id"] == stream["retrying"]["id"]
    assert retrying["attempt"] == 1 and retrying["last_error"] == "connection refused"
    assert datetime.fromisoformat(retrying["next_retry_at"]) == RETRY_AT
    assert backlog["consumer"] == {"name": "provisioner", "pending": stream["requests"],
                                   "ack_pending": 0, "redelivered": 0, "waiting_pulls": 0,
                                   "problem": None}

    durations = {d["stage"]: d for d in view["stage_durations"]["stages"]}
    assert list(durations) == [stage for stage, _ in STAGES]
    # Each active tenant completed every stage in base + 0.0 .. 0.4 s (nearest rank: p50
    # the 3rd, p95 the 5th); the migrating tenant also completed creating_database.
    assert {stage: d["count"] for stage, d in durations.items()} == {
        "creating_database": 6, "migrating": 5, "seeding": 5, "verifying": 5}
    for stage in ("migrating", "seeding", "verifying"):
        assert durations[stage]["p50_seconds"] == pytest.approx(BASE[stage] + 0.2, abs=0.01)
        assert durations[stage]["p95_seconds"] == pytest.approx(BASE[stage] + 0.4, abs=0.01)
    # creating_database also counts the migrating tenant's (it finished that stage at once)
    assert durations["creating_database"]["p95_seconds"] == pytest.approx(1.4, abs=0.01)


async def test_replicas_are_listed_from_their_heartbeats(
        ops_api: Api, stream: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    beat = ProvisionerHeartbeat(id="host-a/42", started_at=now, sent_at=now, in_flight=3)
    await stream["nc"].publish(HEARTBEAT_SUBJECT, msgspec.json.encode(beat))

    async def listed() -> list[dict[str, Any]]:
        view = (await ops_api.client.get("/api/v1/ops/overview", headers=ADMIN)).json()
        return view["backlog"]["replicas"]  # type: ignore[no-any-return]

    [replica] = await wait_until(listed, timeout=5)
    assert (replica["id"], replica["in_flight"]) == ("host-a/42", 3)


async def test_failures_of_the_last_day_and_retry_from_the_list(
        ops_api: Api, stream: dict[str, Any]) -> None:
    response = await ops_api.client.get("/api/v1/ops/failures", headers=ADMIN)
    assert response.status_code == 200
    [failure] = response.json()["items"]
    assert failure["tenant_id"] == stream["failed"]["id"]
    assert (failure["error"], failure["attempts"], failure["owner"]) == ("disk full", 3,
                                                                         "ops-user")
    retry = await ops_api.client.post(f"/api/v1/tenants/{failure['tenant_id']}/retry",
                                      headers=ADMIN)
    assert retry.status_code == 202
    await ops_api.wait_projected()
    assert (await ops_api.client.get("/api/v1/ops/failures", headers=ADMIN)).json()["items"] == []


async def test_the_consumer_missing_is_reported_not_a_500(ops_api: Api) -> None:
    response = await ops_api.client.get("/api/v1/ops/overview", headers=ADMIN)
    assert response.status_code == 200
    consumer = response.json()["backlog"]["consumer"]
    assert consumer["pending"] is None and "consumer info" in consumer["problem"]


@pytest.mark.parametrize("route", ["/api/v1/ops/overview", "/api/v1/ops/failures"])
async def test_non_admins_get_404_and_no_token_401(ops_api: Api, route: str) -> None:
    response = await ops_api.client.get(route, headers=auth("someone", "member"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await ops_api.client.get(route)).status_code == 401


async def test_the_openapi_schema_documents_the_ops_routes_and_cancel(ops_api: Api) -> None:
    paths = (await ops_api.client.get("/schema/openapi.json")).json()["paths"]
    assert {"/api/v1/ops/overview", "/api/v1/ops/failures",
            "/api/v1/tenants/{tenant_id}/cancel"} <= set(paths)
    assert "202" in paths["/api/v1/tenants/{tenant_id}/cancel"]["post"]["responses"]
    assert "200" in paths["/api/v1/ops/overview"]["get"]["responses"]
