"""A message the api cannot read on a tenant's subject does not wedge the tenant.

NATS counts every message on the tenant's subjects for
Nats-Expected-Last-Subject-Sequence, readable or not (a hand-published message,
an event type from a newer version during a rolling upgrade), so the api's
appends must expect the last seq it read, not the last event it could decode.
"""

from __future__ import annotations

import uuid
from typing import Any

from nats.aio.client import Client as NATS

from tenant_contracts.events import (
    TenantActive,
    TenantDeleting,
    TenantProvisioning,
    TenantUpdated,
    TenantUpdating,
)
from tenant_contracts.events import TenantChanges as Changes
from tenant_contracts.subjects import STREAM_NAME, tenant_filter
from tests.integration.api.support import Api, Provisioner, auth, new_user


async def _publish_garbage(nc: NATS, tenant: dict[str, Any], expected_last_seq: int) -> int:
    """Appended with the same guard as any event, so it really is the tenant's last."""
    ack = await nc.jetstream().publish(
        f"tenants.{tenant['id']}.progress", b'{"type": "TenantFromTheFuture", "x": 1}',
        stream=STREAM_NAME, headers={
            "Nats-Msg-Id": str(uuid.uuid4()),
            "Nats-Expected-Last-Subject-Sequence": str(expected_last_seq),
            "Nats-Expected-Last-Subject-Sequence-Subject": tenant_filter(tenant["id"]),
        })
    return int(ack.seq)


async def test_patch_and_delete_after_an_unreadable_message(
        api: Api, provisioner: Provisioner, api_nc: NATS) -> None:
    user = new_user()
    tenant = await api.create(user)
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    active_seq = await provisioner.append(tenant, TenantActive,
                                          database=f"tenant_{tenant['slug']}")
    garbage_seq = await _publish_garbage(api_nc, tenant, active_seq)

    response = await api.client.patch(f"/api/v1/tenants/{tenant['id']}", json={"plan": "pro"},
                                      headers=auth(user))
    assert response.status_code == 202, response.text
    assert response.json()["version"] > garbage_seq

    await provisioner.append(tenant, TenantUpdating)
    await provisioner.append(tenant, TenantUpdated, changes=Changes(plan="pro"))
    response = await api.client.delete(f"/api/v1/tenants/{tenant['id']}", headers=auth(user))
    assert response.status_code == 202, response.text
    await provisioner.append(tenant, TenantDeleting)

    # The unreadable message is skipped in the history, never shown or counted as an event.
    items = (await api.client.get(f"/api/v1/tenants/{tenant['id']}/events",
                                  headers=auth(user))).json()["items"]
    assert garbage_seq not in [item["seq"] for item in items]
    assert [item["event"]["type"] for item in items] == [
        "TenantRequested", "TenantProvisioning", "TenantActive", "TenantUpdateRequested",
        "TenantUpdating", "TenantUpdated", "TenantDeletionRequested", "TenantDeleting"]
