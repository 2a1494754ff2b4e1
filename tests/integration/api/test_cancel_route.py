"""POST /api/v1/tenants/<id>/cancel: 202 while Pending or Provisioning (also waiting for a
retry), 409 otherwise; a Cancelled tenant takes a retry or a delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tenant_contracts.events import (
    TenantActive,
    TenantAttemptFailed,
    TenantCancelled,
    TenantFailed,
    TenantProgress,
    TenantProvisioning,
)
from tests.integration.api.support import Api, Provisioner, auth, new_user


async def _cancel(api: Api, user: str, tenant: dict[str, Any], *roles: str,
                  key: str | None = None) -> httpx.Response:
    headers = auth(user, *roles) | ({"Idempotency-Key": key} if key else {})
    return await api.client.post(f"/api/v1/tenants/{tenant['id']}/cancel", headers=headers)


async def _types(api: Api, user: str, tenant: dict[str, Any]) -> list[str]:
    response = await api.client.get(f"/api/v1/tenants/{tenant['id']}/events",
                                    headers=auth(user))
    return [item["event"]["type"] for item in response.json()["items"]]


async def test_a_pending_tenant_is_cancelled_once_and_a_second_cancel_is_409(
        api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    tenant = await api.create(user)
    response = await _cancel(api, user, tenant)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/tenants/{tenant['id']}"
    body = response.json()
    assert body["status"] == "Pending"  # unchanged until the provisioner acts
    assert body["pending_request"] == "TenantCancelRequested"
    second = await _cancel(api, user, tenant)
    assert second.status_code == 409
    assert second.headers["content-type"].startswith("application/problem+json")
    assert "already requested" in second.json()["detail"]
    assert (await _types(api, user, tenant)) == ["TenantRequested", "TenantCancelRequested"]
    # Nothing else is accepted while the cancel is pending.
    retry = await api.client.post(f"/api/v1/tenants/{tenant['id']}/retry", headers=auth(user))
    assert retry.status_code == 409
    await provisioner.append(tenant, TenantCancelled)
    await api.wait_projected()
    settled = (await api.get(user, tenant["id"])).json()
    assert settled["status"] == "Cancelled" and settled["pending_request"] is None


async def test_provisioning_and_waiting_for_a_retry_take_a_cancel(
        api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    in_stage = await api.create(user)
    await provisioner.append(in_stage, TenantProvisioning, attempt=1)
    await provisioner.append(in_stage, TenantProgress, stage="migrating", percent=35)
    assert (await _cancel(api, user, in_stage)).status_code == 202

    waiting = await api.create(user)
    await provisioner.append(waiting, TenantProvisioning, attempt=1)
    await provisioner.append(waiting, TenantAttemptFailed, attempt=1, error="refused",
                             retry_at=datetime.now(UTC) + timedelta(minutes=5))
    response = await _cancel(api, user, waiting)
    assert response.status_code == 202
    assert response.json()["status"] == "Provisioning"


async def test_settled_tenants_refuse_a_cancel_with_409(
        api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    active = await api.create(user)
    await provisioner.append(active, TenantProvisioning, attempt=1)
    await provisioner.append(active, TenantActive, database="tenant_x")
    failed = await api.create(user)
    await provisioner.append(failed, TenantProvisioning, attempt=1)
    await provisioner.append(failed, TenantFailed, error="boom", attempts=1)
    cancelled = await api.create(user)
    assert (await _cancel(api, user, cancelled)).status_code == 202
    await provisioner.append(cancelled, TenantCancelled)
    for tenant in (active, failed, cancelled):
        response = await _cancel(api, user, tenant)
        assert response.status_code == 409, tenant["status"]
        assert "Pending or Provisioning" in response.json()["detail"]


async def test_a_cancelled_tenant_can_be_retried_or_deleted(
        api: Api, provisioner: Provisioner) -> None:
    user = new_user()
    for action in ("retry", "delete"):
        tenant = await api.create(user)
        await _cancel(api, user, tenant)
        await provisioner.append(tenant, TenantCancelled)
        if action == "retry":
            response = await api.client.post(f"/api/v1/tenants/{tenant['id']}/retry",
                                             headers=auth(user))
            assert response.status_code == 202 and response.json()["status"] == "Pending"
        else:
            response = await api.client.delete(f"/api/v1/tenants/{tenant['id']}",
                                               headers=auth(user))
            assert response.status_code == 202
            assert response.json()["pending_request"] == "TenantDeletionRequested"


async def test_only_the_owner_and_admins_cancel(api: Api) -> None:
    owner, stranger = new_user(), new_user()
    tenant = await api.create(owner)
    assert (await _cancel(api, stranger, tenant)).status_code == 404
    assert (await _cancel(api, "ops-admin", tenant, "admin")).status_code == 202


async def test_the_same_idempotency_key_appends_one_cancel(api: Api) -> None:
    user = new_user()
    tenant = await api.create(user)
    first = await _cancel(api, user, tenant, key="cancel-1")
    again = await _cancel(api, user, tenant, key="cancel-1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert (await _types(api, user, tenant)).count("TenantCancelRequested") == 1
