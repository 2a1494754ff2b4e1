"""Messages the provisioner skips in a tenant's history do not wedge the tenant.

NATS counts every message on the tenant's subjects for
Nats-Expected-Last-Subject-Sequence, including the ones the provisioner's history
skips (undecodable, or another tenant's event on this tenant's subject), so its
appends must expect the last seq it read, not the last event it kept.
"""

from __future__ import annotations

import uuid

from nats.js import JetStreamContext

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantProgress
from tenant_contracts.subjects import STREAM_NAME, tenant_filter
from tests.conftest import wait_until
from tests.integration.provisioner.support import (
    Provisioners,
    request_tenant,
    types,
    wait_consumer_idle,
    wait_for_stage,
)


async def _assert_provisioned_in_one_attempt(js: JetStreamContext,
                                              tenant_id: uuid.UUID) -> None:
    async def active() -> bool:
        return "TenantActive" in await types(js, tenant_id, readable_only=True)

    await wait_until(active, timeout=30, interval=0.1)
    await wait_consumer_idle(js)
    assert await types(js, tenant_id, readable_only=True) == [
        "TenantRequested", "TenantProvisioning", *["TenantProgress"] * 4, "TenantActive"]


async def _append_raw(js: JetStreamContext, tenant_id: uuid.UUID, data: bytes,
                      expected_last_seq: int) -> int:
    """Guarded like any append, so the message really is the tenant's last."""
    ack = await js.publish(f"tenants.{tenant_id}.progress", data, stream=STREAM_NAME, headers={
        "Nats-Msg-Id": str(uuid.uuid4()),
        "Nats-Expected-Last-Subject-Sequence": str(expected_last_seq),
        "Nats-Expected-Last-Subject-Sequence-Subject": tenant_filter(tenant_id),
    })
    return int(ack.seq)


async def test_provisions_past_skipped_messages(js: JetStreamContext,
                                                provisioners: Provisioners) -> None:
    tenant = await request_tenant(js)
    requested_seq = (await js.stream_info(STREAM_NAME)).state.last_seq
    undecodable = await _append_raw(js, tenant.tenant_id,
                                    b'{"type": "TenantFromTheFuture", "x": 1}', requested_seq)
    stranger = TenantProgress(tenant_id=uuid.uuid4(), owner="x", actor="system",
                              stage="migrating", percent=30)
    await _append_raw(js, tenant.tenant_id, encode_event(stranger), undecodable)

    provisioners.start()

    await _assert_provisioned_in_one_attempt(js, tenant.tenant_id)
    info = await js.consumer_info(STREAM_NAME, "provisioner")
    assert info.num_redelivered == 0  # handled at the first delivery, no conflict loop
    # Both messages were met, and skipped, in the histories the provisioner read.
    (process,) = provisioners.running
    assert provisioners.metrics(process)["provisioner_history_skipped_total"] >= 2


async def test_a_message_skipped_during_an_attempt_costs_no_new_attempt(
        js: JetStreamContext, provisioners: Provisioners) -> None:
    tenant = await request_tenant(js)
    provisioners.start(PROVISIONER_STAGE_DELAY_SECONDS="0.5")
    await wait_for_stage(js, tenant.tenant_id, "migrating")
    last = (await js.stream_info(STREAM_NAME)).state.last_seq  # only this test's tenant
    await _append_raw(js, tenant.tenant_id, b"not json at all", last)

    # The append after the unreadable message conflicts once; it carries on in the
    # same attempt instead of deferring the request and provisioning all over again.
    await _assert_provisioned_in_one_attempt(js, tenant.tenant_id)
