"""Update and delete round trips, with the tenant database as the witness."""

from __future__ import annotations

import asyncpg
from nats.js import JetStreamContext

from tenantctl.postgres import PostgresCluster
from tests.integration.provisioner.support import (
    Provisioners,
    append_request,
    database_of,
    request_tenant,
    scalar,
    types,
    wait_consumer_idle,
    wait_for_type,
)


async def test_update_then_delete(
    js: JetStreamContext, provisioners: Provisioners, postgres: PostgresCluster,
    admin_database_url: str,
) -> None:
    provisioners.start()
    tenant = await request_tenant(js)
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    name = database_of(tenant)

    await append_request(js, tenant, "update", {"name": "Acme Renamed", "plan": "pro"})
    await wait_for_type(js, tenant.tenant_id, "TenantUpdated")
    settings = await scalar(postgres.url(name),
                            "SELECT json_object_agg(key, value) FROM settings")
    assert settings == '{ "name" : "Acme Renamed", "plan" : "pro" }'

    # A session held open on the tenant database does not stop the drop.
    holder = await asyncpg.connect(postgres.url(name))
    try:
        await append_request(js, tenant, "delete")
        await wait_for_type(js, tenant.tenant_id, "TenantDeleted")
    finally:
        await holder.close()
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_database WHERE datname = $1", name) == 0
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_roles WHERE rolname = $1", name) == 0

    # Requests that no longer apply (deleting or updating a deleted tenant) add nothing.
    await append_request(js, tenant, "delete")
    await append_request(js, tenant, "update", {"name": "Too late"})
    await wait_consumer_idle(js)
    assert (await types(js, tenant.tenant_id))[-8:] == [
        "TenantUpdateRequested", "TenantUpdating", "TenantUpdated",
        "TenantDeletionRequested", "TenantDeleting", "TenantDeleted",
        "TenantDeletionRequested", "TenantUpdateRequested"]


async def test_delete_tolerates_an_already_dropped_database(
    js: JetStreamContext, provisioners: Provisioners, admin_database_url: str
) -> None:
    provisioners.start()
    tenant = await request_tenant(js)
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    name = database_of(tenant)
    await scalar(admin_database_url, f'DROP DATABASE "{name}"')  # an operator got there first
    await append_request(js, tenant, "delete")
    await wait_for_type(js, tenant.tenant_id, "TenantDeleted")
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_roles WHERE rolname = $1", name) == 0
