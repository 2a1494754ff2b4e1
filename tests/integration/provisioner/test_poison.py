"""Poison messages are terminated with a logged reason and never block the consumer."""

from __future__ import annotations

import uuid

from nats.js import JetStreamContext

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantActive
from tests.integration.provisioner.support import (
    Provisioners,
    request_tenant,
    types,
    wait_consumer_idle,
    wait_for_type,
)


async def test_poison_then_valid_request(js: JetStreamContext, provisioners: Provisioners) -> None:
    stranger = uuid.uuid4()
    poison = [
        (f"tenants.{uuid.uuid4()}.requested", b"{not json"),
        (f"tenants.{uuid.uuid4()}.requested", b'{"type": "TenantExploded", "x": 1}'),
        ("tenants.not-a-uuid.requested", b"{}"),
        # a valid event of the wrong type for the subject
        (f"tenants.{stranger}.requested", encode_event(
            TenantActive(tenant_id=stranger, owner="x", actor="x", database="d"))),
        # a request for a tenant that was never requested
        (f"tenants.{stranger}.retry_requested",
         b'{"type": "TenantRetryRequested", "tenant_id": "%s", "owner": "x", "actor": "x", '
         b'"event_id": "%s", "occurred_at": "2026-01-01T00:00:00Z"}'
         % (str(stranger).encode(), str(uuid.uuid4()).encode())),
    ]
    for subject, data in poison:
        await js.publish(subject, data, stream="TENANTS")
    tenant = await request_tenant(js)

    provisioners.start()
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    await wait_consumer_idle(js)
    info = await js.consumer_info("TENANTS", "provisioner")
    assert info.num_redelivered == 0  # terminated at the first delivery, not retried
    # Four unreadable requests and one request of a tenant with no TenantRequested:
    # each terminated, none retried.
    (process,) = provisioners.running
    assert provisioners.metrics(process)['provisioner_requests_total{outcome="drop"}'] == 5
    assert await types(js, tenant.tenant_id) == [
        "TenantRequested", "TenantProvisioning", *["TenantProgress"] * 4, "TenantActive"]
