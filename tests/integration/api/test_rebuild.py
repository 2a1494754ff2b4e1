"""`tenantctl projections rebuild` reproduces the live read model row for row."""

from __future__ import annotations

import asyncio
import re
import sys

import asyncpg

from tenant_api.rebuild import rebuild
from tenant_contracts.events import (
    TenantActive,
    TenantChanges,
    TenantDeleted,
    TenantDeleting,
    TenantFailed,
    TenantProvisioning,
    TenantUpdated,
    TenantUpdating,
)
from tenantctl.nats_server import NatsServer
from tests.conftest import nats_url_as
from tests.integration.api.support import (
    Api,
    Provisioner,
    auth,
    nats_settings,
    new_user,
    running_api,
    settings,
)

READ_MODEL = ("SELECT * FROM tenants ORDER BY id", "SELECT * FROM slug_claims ORDER BY slug",
              "SELECT * FROM projection_state ORDER BY name")


async def _snapshot(database_url: str) -> list[list[asyncpg.Record]]:
    conn = await asyncpg.connect(database_url)
    try:
        return [list(await conn.fetch(query)) for query in READ_MODEL]
    finally:
        await conn.close()


async def _lifecycles(api: Api, provisioner: Provisioner) -> None:
    """Tenants in every status, written by both the handlers and the projection."""
    user = new_user()
    active, failed, deleted, pending = [await api.create(user) for _ in range(4)]
    for tenant in (active, failed, deleted):
        await provisioner.append(tenant, TenantProvisioning, attempt=1)
    for tenant in (active, deleted):
        await provisioner.append(tenant, TenantActive, database=f"tenant_{tenant['slug']}")
    await provisioner.append(failed, TenantFailed, error="boom", attempts=1)
    headers = auth(user)
    tenants = "/api/v1/tenants"
    assert (await api.client.patch(f"{tenants}/{active['id']}", json={"plan": "pro"},
                                   headers=headers)).status_code == 202
    await provisioner.append(active, TenantUpdating)
    await provisioner.append(active, TenantUpdated, changes=TenantChanges(plan="pro"))
    assert (await api.client.post(f"{tenants}/{failed['id']}/retry",
                                  headers=headers)).status_code == 202
    assert (await api.client.delete(f"{tenants}/{deleted['id']}",
                                    headers=headers)).status_code == 202
    await provisioner.append(deleted, TenantDeleting)
    await provisioner.append(deleted, TenantDeleted)
    await api.wait_projected()
    reused = await api.client.post(tenants, json={"name": "Again", "slug": deleted["slug"],
                                                  "admin_email": "a@b.example"}, headers=headers)
    assert reused.status_code == 202, reused.text
    assert pending["status"] == "Pending"


async def test_rebuild_equals_the_live_read_model(api_nats: NatsServer, fresh_database: str,
                                                  provisioner: Provisioner) -> None:
    async with running_api(settings(nats_url_as(api_nats, "api"), fresh_database)) as api:
        await _lifecycles(api, provisioner)
        head = await api.wait_projected()
    live = await _snapshot(fresh_database)
    assert len(live[0]) >= 5 and live[2][0]["last_seq"] == head

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenantctl", "projections", "rebuild",
        "--database-url", fresh_database, "--nats-url", nats_url_as(api_nats, "api"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
    assert process.returncode == 0, output
    rate = re.search(rf"{head} events, {len(live[0])} tenants in [\d.]+ s \((\d+) events/s\)",
                     output)
    assert rate, output
    print(f"\nrebuild: {output.strip()}")

    rebuilt = await _snapshot(fresh_database)
    assert rebuilt == live


async def test_a_running_api_carries_on_after_a_rebuild(
        api_nats: NatsServer, fresh_database: str, provisioner: Provisioner) -> None:
    async with running_api(settings(nats_url_as(api_nats, "api"), fresh_database)) as api:
        user = new_user()
        before = await api.create(user)
        await api.wait_projected()
        report = await rebuild(fresh_database, nats_settings(nats_url_as(api_nats, "api")))
        assert report.tenants >= 1
        # Reads and writes keep working on the new tables, and so does the projection.
        assert (await api.get(user, before["id"])).status_code == 200
        after = await api.create(user)
        await provisioner.append(after, TenantProvisioning, attempt=1)
        head = await api.wait_projected()
        got = (await api.get(user, after["id"])).json()
        assert (got["status"], got["version"]) == ("Provisioning", head)
        live = await _snapshot(fresh_database)
    await rebuild(fresh_database, nats_settings(nats_url_as(api_nats, "api")))
    assert await _snapshot(fresh_database) == live
