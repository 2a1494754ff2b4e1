"""An append whose outcome is unknown (NATS hangs mid-request) is answered 503, never a
lie; the same request sent again answers 202 with the tenant that was stored, once,
and a client that never comes back still finds its tenant (the sweeper finishes it)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import nats
import pytest

from tenant_contracts.events import TenantActive, TenantProvisioning, TenantRequested
from tenant_stream.event_log import EventLog
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster
from tests.conftest import nats_url_as, unique_database, wait_until
from tests.integration.api.support import (
    Api,
    Provisioner,
    auth,
    create_body,
    new_user,
    running_api,
    settings,
)


@pytest.fixture
def hanging_nats() -> Iterator[NatsServer]:
    with temporary_nats_server("api-hang-nats-") as server:
        yield server


@pytest.fixture
async def api(hanging_nats: NatsServer, postgres: PostgresCluster) -> AsyncIterator[Api]:
    database = await unique_database(postgres, "hang")
    async with running_api(settings(nats_url_as(hanging_nats, "api"), database, append_deadline=1.0,
                                    pending_create_age=3.0)) as running:
        await running.create(new_user())  # warm: stream and consumer of the read model
        yield running


async def _post_while_hanging(api: Api, nats_server: NatsServer, body: dict[str, str],
                              headers: dict[str, str]) -> httpx.Response:
    nats_server.pause()
    try:
        return await api.client.post("/api/v1/tenants", json=body, headers=headers)
    finally:
        nats_server.resume()


async def _requested(server: NatsServer, tenant_id: str) -> list[int]:
    nc = await nats.connect(**server.connect_options("admin"))
    try:
        history = await EventLog(nc).history(uuid.UUID(tenant_id))
        return [seq for seq, e in history if isinstance(e, TenantRequested)]
    finally:
        await nc.close()


def _unknown(response: httpx.Response) -> str:
    assert response.status_code == 503, response.text
    problem = response.json()
    assert problem["type"].endswith("outcome-unknown") and response.headers["Retry-After"]
    return response.headers["Location"].rsplit("/", 1)[1]


async def test_the_same_key_answers_with_the_stored_tenant(api: Api,
                                                           hanging_nats: NatsServer) -> None:
    user, body = new_user(), create_body()
    headers = {**auth(user), "Idempotency-Key": uuid.uuid4().hex}
    tenant_id = _unknown(await _post_while_hanging(api, hanging_nats, body, headers))
    again = await api.client.post("/api/v1/tenants", json=body, headers=headers)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == tenant_id
    assert len(await _requested(hanging_nats, tenant_id)) == 1
    assert (await api.get(user, tenant_id)).status_code == 200


async def test_the_same_body_without_a_key_is_not_a_slug_conflict(
        api: Api, hanging_nats: NatsServer) -> None:
    user, body = new_user(), create_body()
    tenant_id = _unknown(await _post_while_hanging(api, hanging_nats, body, auth(user)))
    again = await api.client.post("/api/v1/tenants", json=body, headers=auth(user))
    assert again.status_code == 202, again.text
    assert again.json()["id"] == tenant_id
    assert len(await _requested(hanging_nats, tenant_id)) == 1
    # Someone else asking for that slug meanwhile is told the truth: it is taken.
    other = await api.client.post("/api/v1/tenants", json=body, headers=auth(new_user()))
    assert other.status_code == 409


async def test_a_retry_with_a_new_key_finishes_the_create_and_the_key_names_it(
        api: Api, hanging_nats: NatsServer) -> None:
    user, body = new_user(), create_body()
    tenant_id = _unknown(await _post_while_hanging(api, hanging_nats, body, auth(user)))
    headers = {**auth(user), "Idempotency-Key": uuid.uuid4().hex}
    again = await api.client.post("/api/v1/tenants", json=body, headers=headers)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == tenant_id
    # The key now names the tenant sent before, not the id its own request drew.
    replay = await api.client.post("/api/v1/tenants", json=body, headers=headers)
    assert (replay.status_code, replay.json()["id"]) == (202, tenant_id)
    other = await api.client.post("/api/v1/tenants", json=create_body(), headers=headers)
    assert other.status_code == 422, other.text
    assert len(await _requested(hanging_nats, tenant_id)) == 1


async def test_a_client_that_never_returns_still_finds_its_tenant(
        api: Api, hanging_nats: NatsServer) -> None:
    user = new_user()
    tenant_id = _unknown(await _post_while_hanging(api, hanging_nats, create_body(),
                                                   auth(user)))

    async def found() -> bool:
        return (await api.get(user, tenant_id)).status_code == 200

    await wait_until(found, timeout=20)  # the sweeper finished the create
    assert len(await _requested(hanging_nats, tenant_id)) == 1


async def test_a_keyed_patch_retried_after_a_503_is_applied_once(
        api: Api, hanging_nats: NatsServer) -> None:

    user = new_user()
    tenant = await api.create(user)
    nc = await nats.connect(**hanging_nats.connect_options("admin"))
    try:
        provisioner = Provisioner(nc)
        await provisioner.append(tenant, TenantProvisioning, attempt=1)
        await provisioner.append(tenant, TenantActive, database="tenant_x")
    finally:
        await nc.close()
    headers = {**auth(user), "Idempotency-Key": uuid.uuid4().hex}
    path = f"/api/v1/tenants/{tenant['id']}"
    hanging_nats.pause()
    try:
        first = await api.client.patch(path, json={"plan": "pro"}, headers=headers)
    finally:
        hanging_nats.resume()
    assert first.status_code == 503, first.text
    again = await api.client.patch(path, json={"plan": "pro"}, headers=headers)
    assert again.status_code == 202, again.text
    nc = await nats.connect(**hanging_nats.connect_options("admin"))
    try:
        history = await EventLog(nc).history(uuid.UUID(tenant["id"]))
    finally:
        await nc.close()
    assert [type(e).__name__ for _, e in history].count("TenantUpdateRequested") == 1
