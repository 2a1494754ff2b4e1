"""With the projection held back, the 202's own row answers every GET."""

from __future__ import annotations

import uuid

from nats.aio.client import Client as NATS

from tenant_contracts.events import (
    TenantActive,
    TenantFailed,
    TenantProvisioning,
    TenantRequested,
)
from tenantctl.nats_server import NatsServer
from tests.conftest import nats_url_as, wait_until
from tests.integration.api.support import (
    Api,
    Provisioner,
    auth,
    new_slug,
    running_api,
    settings,
)


async def _status(api: Api, user: str, tenant_id: str) -> tuple[int, str, int]:
    response = await api.get(user, tenant_id)
    assert response.status_code == 200, response.text
    body = response.json()
    return response.status_code, body["status"], body["version"]


async def test_writes_are_readable_while_the_projection_is_paused(
        api_nats: NatsServer, fresh_database: str, api_nc: NATS) -> None:
    provisioner = Provisioner(api_nc)
    # Something the paused projection cannot have applied, so /readyz must say no.
    await provisioner.store.append(TenantRequested(
        tenant_id=uuid.uuid4(), owner="someone", actor="someone", name="n", slug=new_slug(),
        plan="free", admin_email="a@b.example"), 0)
    async with running_api(settings(nats_url_as(api_nats, "api"), fresh_database),
                           projection_paused=True) as api:
        user = "rw-" + fresh_database[-8:]
        created = await api.create(user)
        assert await _status(api, user, created["id"]) == (200, "Pending", created["version"])
        listed = (await api.client.get("/api/v1/tenants", headers=auth(user))).json()
        assert [t["id"] for t in listed["items"]] == [created["id"]]
        assert listed["as_of"] < created["version"]  # the projection really is behind
        assert (await api.client.get("/readyz")).status_code == 503

        # The provisioner fails it; the projection does not see that yet, but the
        # retry decides from the stream and writes the row it answered with.
        await provisioner.append(created, TenantProvisioning, attempt=1)
        await provisioner.append(created, TenantFailed, error="boom", attempts=1)
        retried = await api.client.post(f"/api/v1/tenants/{created['id']}/retry",
                                        headers=auth(user))
        assert retried.status_code == 202, retried.text
        assert await _status(api, user, created["id"]) == (
            200, "Pending", retried.json()["version"])

        await provisioner.append(created, TenantProvisioning, attempt=1)
        active_seq = await provisioner.append(created, TenantActive, database="tenant_rw")
        patched = await api.client.patch(f"/api/v1/tenants/{created['id']}",
                                         json={"name": "New"}, headers=auth(user))
        assert patched.status_code == 202, patched.text
        assert patched.json()["version"] > active_seq
        assert await _status(api, user, created["id"]) == (
            200, "Active", patched.json()["version"])

        # Released, the projection catches up without moving any row backwards.
        assert api.runtime.projection is not None
        api.runtime.projection.resume()
        head = await api.wait_projected()
        assert head == patched.json()["version"]
        assert await _status(api, user, created["id"]) == (200, "Active", head)

        async def ready() -> bool:
            return (await api.client.get("/readyz")).status_code == 200

        await wait_until(ready, 10)
