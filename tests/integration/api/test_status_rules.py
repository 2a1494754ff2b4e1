"""PATCH, retry and DELETE follow the status rules of SPEC section 3, decided from the stream."""

from __future__ import annotations

import asyncio
from typing import Any

from tenant_contracts.events import (
    TenantActive,
    TenantDeleted,
    TenantDeleting,
    TenantFailed,
    TenantProvisioning,
    TenantRetryRequested,
    TenantUpdated,
    TenantUpdating,
)
from tenant_contracts.events import TenantChanges as Changes
from tests.integration.api.support import Api, Provisioner, auth, create_body, new_user


async def _patch(api: Api, user: str, tenant: dict[str, Any], **body: Any) -> int:
    response = await api.client.patch(f"/api/v1/tenants/{tenant['id']}", json=body,
                                      headers=auth(user))
    return response.status_code


async def _delete(api: Api, user: str, tenant: dict[str, Any]) -> int:
    return (await api.client.delete(f"/api/v1/tenants/{tenant['id']}",
                                    headers=auth(user))).status_code


async def _retry(api: Api, user: str, tenant: dict[str, Any]) -> int:
    return (await api.client.post(f"/api/v1/tenants/{tenant['id']}/retry",
                                  headers=auth(user))).status_code


async def _active(api: Api, provisioner: Provisioner, user: str) -> dict[str, Any]:
    tenant = await api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantActive, database=f"tenant_{tenant['slug']}")
    return tenant


async def test_busy_while_pending_and_provisioning(api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    tenant = await api.create(user)
    assert tenant["status"] == "Pending"
    assert (await _patch(api, user, tenant, name="x"), await _delete(api, user, tenant),
            await _retry(api, user, tenant)) == (409, 409, 409)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    assert (await _patch(api, user, tenant, name="x"), await _delete(api, user, tenant),
            await _retry(api, user, tenant)) == (409, 409, 409)


async def test_update_cycle_and_a_second_patch_before_pickup(
        api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    tenant = await _active(api, provisioner, user)
    response = await api.client.patch(f"/api/v1/tenants/{tenant['id']}",
                                      json={"name": "Renamed", "plan": "pro"}, headers=auth(user))
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/tenants/{tenant['id']}"
    assert response.json()["status"] == "Active"  # unchanged until the provisioner acts
    # The request is not picked up yet: a second PATCH or a DELETE must wait.
    assert await _patch(api, user, tenant, plan="enterprise") == 409
    assert await _delete(api, user, tenant) == 409
    await provisioner.append(tenant, TenantUpdating)
    assert await _patch(api, user, tenant, plan="enterprise") == 409
    await provisioner.append(tenant, TenantUpdated, changes=Changes(name="Renamed", plan="pro"))
    assert await _retry(api, user, tenant) == 409  # only a Failed tenant is retried
    assert await _patch(api, user, tenant, plan="enterprise") == 202
    history = (await api.client.get(f"/api/v1/tenants/{tenant['id']}/events",
                                    headers=auth(user))).json()["items"]
    requests = [i["event"]["changes"] for i in history
                if i["event"]["type"] == "TenantUpdateRequested"]
    assert requests == [{"name": "Renamed", "plan": "pro"}, {"plan": "enterprise"}]


async def test_delete_cycle_frees_the_slug(api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    tenant = await _active(api, provisioner, user)
    taken = await api.client.post("/api/v1/tenants", json=create_body(tenant["slug"]),
                                  headers=auth(new_user()))
    assert taken.status_code == 409
    assert await _delete(api, user, tenant) == 202
    assert await _delete(api, user, tenant) == 409
    await provisioner.append(tenant, TenantDeleting)
    assert (await _patch(api, user, tenant, name="x"), await _delete(api, user, tenant)) == (
        409, 409)
    await provisioner.append(tenant, TenantDeleted)
    assert (await _patch(api, user, tenant, name="x"), await _delete(api, user, tenant),
            await _retry(api, user, tenant)) == (409, 409, 409)
    # The slug is free again once the read model knows the tenant is Deleted.
    await api.wait_projected()
    again = await api.client.post("/api/v1/tenants", json=create_body(tenant["slug"]),
                                  headers=auth(new_user()))
    assert again.status_code == 202, again.text


async def test_retry_only_when_failed(api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    tenant = await api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantFailed, error="disk full", attempts=3)
    response = await api.client.post(f"/api/v1/tenants/{tenant['id']}/retry",
                                     headers=auth(user))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "Pending"
    assert await _retry(api, user, tenant) == 409
    got = await api.get(user, tenant["id"])
    assert got.json()["status"] == "Pending"


async def test_failed_tenant_can_be_deleted(api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    tenant = await api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantFailed, error="boom", attempts=1)
    assert await _delete(api, user, tenant) == 202
    assert await _retry(api, user, tenant) == 409  # the deletion request is pending


async def test_failed_tenant_refuses_a_patch_so_it_never_sticks(
        api: Api, provisioner: Provisioner) -> None:
    # A Failed tenant has no database to update: the provisioner would skip the
    # request, and an unanswered request would leave the tenant busy for good.
    user = new_user()
    tenant = await api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantFailed, error="boom", attempts=1)
    response = await api.client.patch(f"/api/v1/tenants/{tenant['id']}", json={"plan": "pro"},
                                      headers=auth(user))
    assert response.status_code == 409, response.text
    assert "Active" in response.json()["detail"]
    assert await _retry(api, user, tenant) == 202


async def test_concurrent_patches_accept_exactly_one(api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    tenant = await _active(api, provisioner, user)
    statuses = await asyncio.gather(*(_patch(api, user, tenant, name=f"n{i}") for i in range(6)))
    assert sorted(statuses) == [202, 409, 409, 409, 409, 409]


async def test_concurrent_creates_of_one_slug_accept_exactly_one(api: Api) -> None:
    body = create_body()
    responses = await asyncio.gather(*(
        api.client.post("/api/v1/tenants", json=body, headers=auth(new_user()))
        for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [202, 409, 409, 409, 409]


async def test_a_request_that_does_not_apply_wedges_nothing(
        api: Api, provisioner: Provisioner) -> None:
    """A TenantRetryRequested of an Active tenant, put on the stream by hand (an operator
    replaying): the fold ignores it as the provisioner does, so later requests are taken."""
    user = new_user()
    tenant = await api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantActive, database=f"tenant_{tenant['slug']}")
    stray = await provisioner.append(tenant, TenantRetryRequested)
    await api.wait_projected()
    got = (await api.get(user, tenant["id"])).json()
    assert (got["status"], got["pending_request"], got["version"]) == ("Active", None, stray)
    response = await api.client.patch(f"/api/v1/tenants/{tenant['id']}", json={"plan": "pro"},
                                      headers=auth(user))
    assert response.status_code == 202, response.text
    assert response.json()["pending_request"] == "TenantUpdateRequested"
