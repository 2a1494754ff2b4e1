"""The projection: idempotent batches, poison skipped, position kept across restarts."""

from __future__ import annotations

import uuid

import asyncpg
from nats.aio.client import Client as NATS

from tenant_api.ddl import create_schema
from tenant_api.projection import apply_batch
from tenant_api.projection_runner import StreamBatches
from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantActive, TenantProgress, TenantProvisioning
from tenantctl.nats_server import NatsServer
from tests.conftest import nats_url_as
from tests.integration.api.support import (
    Api,
    Provisioner,
    auth,
    new_user,
    running_api,
    settings,
)


async def _rows(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT * FROM tenants ORDER BY id"))


async def test_poison_messages_do_not_stop_the_projection(api: Api, api_nc: NATS) -> None:
    js = api_nc.jetstream()
    await js.publish(f"tenants.{uuid.uuid4()}.requested", b"{not json", stream="TENANTS")
    await js.publish(f"tenants.{uuid.uuid4()}.requested", b'{"type":"Nope"}', stream="TENANTS")
    orphan = TenantProgress(tenant_id=uuid.uuid4(), owner="x", actor="system",
                            stage="migrating", percent=35)
    await js.publish(f"tenants.{orphan.tenant_id}.progress", encode_event(orphan),
                     stream="TENANTS")
    user = new_user()
    tenant = await api.create(user)
    head = await api.wait_projected()
    assert head >= tenant["version"]
    listed = (await api.client.get("/api/v1/tenants", headers=auth(user))).json()
    assert listed["as_of"] == head
    assert (await api.get("root", str(orphan.tenant_id), "admin")).status_code == 404


async def test_batches_apply_once(api: Api, api_nc: NATS, fresh_database: str,
                                  provisioner: Provisioner) -> None:
    tenant = await api.create(new_user())
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    head = await provisioner.append(tenant, TenantActive, database="tenant_once")
    batches = StreamBatches(api_nc, 0, "test")
    batches.start()
    messages = []
    while len(messages) < head:
        messages += await batches.next(timeout=5)
    await batches.stop()
    conn = await asyncpg.connect(fresh_database)
    try:
        await create_schema(conn)
        assert await apply_batch(conn, messages[: head // 2]) == head // 2
        # A gap is never papered over: nothing after it is applied.
        assert await apply_batch(conn, messages[head // 2 + 1:]) == head // 2
        gap = messages[head // 2: head // 2 + 2] + messages[head // 2 + 3:]
        assert await apply_batch(conn, gap) == head // 2 + 2
        assert await apply_batch(conn, messages) == head
        once = await _rows(conn)
        # Delivered again (a crash before the consumer moved on): nothing changes.
        assert await apply_batch(conn, messages) == head
        assert await _rows(conn) == once
        row = await conn.fetchrow("SELECT status, version FROM tenants WHERE id = $1",
                                  uuid.UUID(tenant["id"]))
        assert (row["status"], row["version"]) == ("Active", head)
    finally:
        await conn.close()


async def test_the_position_survives_a_restart(api_nats: NatsServer, fresh_database: str,
                                               provisioner: Provisioner) -> None:
    config = settings(nats_url_as(api_nats, "api"), fresh_database)
    async with running_api(config) as first:
        user = new_user()
        tenant = await first.create(user)
        before = await first.wait_projected()
    # While no api runs, the provisioner carries on.
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantActive, database="tenant_restart")
    async with running_api(config) as second:
        after = await second.wait_projected()
        assert after == before + 2
        got = (await second.get(user, tenant["id"])).json()
        assert (got["status"], got["version"]) == ("Active", after)
