"""Provisioning of SPEC section 2, end to end through a real provisioner process."""

from __future__ import annotations

import secrets

import asyncpg
from nats.aio.client import Client as NATS

from tenant_contracts.events import TenantActive, TenantProgress, TenantProvisioning
from tenant_contracts.subjects import STREAM_NAME
from tenant_contracts.tenant import STAGES
from tenantctl.postgres import PostgresCluster
from tests.conftest import wait_until
from tests.integration.provisioner.support import (
    TRACEPARENT,
    Provisioners,
    history,
    request_tenant,
    scalar,
    stream_exists,
    wait_for_type,
)


async def test_creates_the_stream_and_provisions_a_tenant(
    client: NATS, provisioners: Provisioners, postgres: PostgresCluster, admin_database_url: str
) -> None:
    js = client.jetstream()
    provisioners.start()
    await wait_until(lambda: stream_exists(js), timeout=20)  # the provisioner made it
    assert (await js.stream_info(STREAM_NAME)).config.deny_delete is True
    tenant = await request_tenant(js, slug=f"acme-corp-{secrets.token_hex(3)}")
    await wait_for_type(js, tenant.tenant_id, "TenantActive")

    events = [e for _, e in await history(js, tenant.tenant_id)]
    assert [type(e).__name__ for e in events] == [
        "TenantRequested", "TenantProvisioning", *["TenantProgress"] * 4, "TenantActive"]
    assert isinstance(events[1], TenantProvisioning) and events[1].attempt == 1
    progress = [(e.stage, e.percent) for e in events if isinstance(e, TenantProgress)]
    assert progress == list(STAGES)
    database = "tenant_" + tenant.slug.replace("-", "_")
    assert isinstance(events[-1], TenantActive) and events[-1].database == database
    assert all(e.actor == "system" and e.owner == "alice" for e in events[1:])

    # Every append continues the request's trace.
    for seq, _ in (await history(js, tenant.tenant_id))[1:]:
        raw = await js.get_msg(STREAM_NAME, seq)
        assert raw.headers is not None
        assert raw.headers["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]
        assert raw.headers["Nats-Expected-Last-Subject-Sequence-Subject"].endswith(".>")

    tenant_url = postgres.url(database)
    assert await scalar(tenant_url, "SELECT email FROM users WHERE role = 'admin'") \
        == tenant.admin_email
    assert await scalar(tenant_url, "SELECT count(*) FROM schema_migrations") == 3
    assert await scalar(tenant_url, "SELECT value FROM settings WHERE key = 'name'") == tenant.name
    assert await scalar(admin_database_url, "SELECT pg_get_userbyid(datdba) FROM pg_database "
                        "WHERE datname = $1", database) == database
    # The tables belong to the tenant's role, and other roles may not even connect.
    assert await scalar(tenant_url, "SELECT tableowner FROM pg_tables WHERE tablename = 'users'") \
        == database
    assert await scalar(admin_database_url, "SELECT has_database_privilege('public', $1, "
                        "'CONNECT')", database) is False


async def test_the_tenant_role_logs_in_over_tcp_with_scram(
    client: NATS, provisioners: Provisioners, postgres: PostgresCluster
) -> None:
    """The verifying stage is a real login: a wrong password is refused by the cluster."""
    js = client.jetstream()
    provisioners.start()
    await wait_until(lambda: stream_exists(js), timeout=20)
    tenant = await request_tenant(js)
    await wait_for_type(js, tenant.tenant_id, "TenantActive")
    role = "tenant_" + tenant.slug.replace("-", "_")
    try:
        await asyncpg.connect(host="127.0.0.1", port=postgres.port, user=role,
                              password="wrong", database=role)
    except asyncpg.InvalidPasswordError:
        pass
    else:
        raise AssertionError("the cluster accepted a wrong password")
