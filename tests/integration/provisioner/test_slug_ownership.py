"""Two tenants with one slug (an orphan TenantRequested from a create whose api
transaction failed, then the client's retry): the tenant_<slug> database and role
belong to the first, and the second can neither adopt nor drop them."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from nats.js import JetStreamContext

from tenant_contracts.events import TenantFailed, TenantRequested
from tenant_contracts.tenant import apply
from tenant_provisioner.failures import TenantDbError
from tenant_provisioner.tenant_db import TenantDatabases
from tenantctl.postgres import PostgresCluster
from tests.conftest import wait_until
from tests.integration.provisioner.support import (
    Provisioners,
    append,
    append_request,
    database_of,
    history,
    new_slug,
    request_tenant,
    scalar,
    types,
    wait_consumer_idle,
    wait_for_type,
)

OUTCOMES = ("TenantActive", "TenantFailed")


async def same_slug(js: JetStreamContext, first: TenantRequested) -> TenantRequested:
    second = TenantRequested(tenant_id=uuid.uuid4(), owner="bob", actor="bob",
                             name="Second", slug=first.slug, plan="pro",
                             admin_email=f"second@{first.slug}.example")
    await append(js, second, expected=0)
    return second


async def outcome(js: JetStreamContext, tenant_id: uuid.UUID) -> str:
    async def settled() -> str | None:
        seen = [t for t in await types(js, tenant_id) if t in OUTCOMES]
        return seen[0] if seen else None

    found: str = await wait_until(settled, timeout=30, interval=0.1)
    return found


async def test_a_second_tenant_with_the_same_slug_fails_and_cannot_drop_the_first(
    js: JetStreamContext, provisioners: Provisioners, postgres: PostgresCluster,
    admin_database_url: str,
) -> None:
    provisioners.start()
    first = await request_tenant(js)
    await wait_for_type(js, first.tenant_id, "TenantActive")
    name = database_of(first)

    second = await same_slug(js, first)
    assert await outcome(js, second.tenant_id) == "TenantFailed"
    failed = (await history(js, second.tenant_id))[-1][1]
    assert isinstance(failed, TenantFailed)
    assert name in failed.error and str(first.tenant_id) in failed.error, failed.error

    await append_request(js, second, "delete")
    await wait_for_type(js, second.tenant_id, "TenantDeleted")
    await wait_consumer_idle(js)
    # The first tenant's objects survive, unchanged, and still carry its id.
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_database WHERE datname = $1", name) == 1
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_roles WHERE rolname = $1", name) == 1
    assert await scalar(postgres.url(name), "SELECT array_agg(email) FROM users") == [
        first.admin_email]
    assert await scalar(postgres.url(name), "SELECT value FROM settings WHERE key = 'plan'") \
        == first.plan
    assert await scalar(admin_database_url, "SELECT shobj_description(oid, 'pg_database') "
                        "FROM pg_database WHERE datname = $1", name) == f"tenant:{first.tenant_id}"
    assert "TenantActive" not in await types(js, second.tenant_id)

    # Deleting the owner still drops them.
    await append_request(js, first, "delete")
    await wait_for_type(js, first.tenant_id, "TenantDeleted")
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_database WHERE datname = $1", name) == 0
    assert await scalar(admin_database_url,
                        "SELECT count(*) FROM pg_roles WHERE rolname = $1", name) == 0


async def test_two_tenants_with_one_slug_at_once_one_wins(
    js: JetStreamContext, provisioners: Provisioners, postgres: PostgresCluster,
) -> None:
    """Both requests in flight together (two processes): exactly one owns the objects."""
    provisioners.start()
    provisioners.start()
    first = TenantRequested(tenant_id=uuid.uuid4(), owner="alice", actor="alice",
                            name="First", slug=new_slug(), plan="free",
                            admin_email="first@race.example")
    await append(js, first, expected=0)
    second = await same_slug(js, first)
    results = dict(zip((first.tenant_id, second.tenant_id), await asyncio.gather(
        outcome(js, first.tenant_id), outcome(js, second.tenant_id)), strict=True))
    assert sorted(results.values()) == ["TenantActive", "TenantFailed"], results
    winner = next(t for t in (first, second) if results[t.tenant_id] == "TenantActive")
    assert await scalar(postgres.url(database_of(first)),
                        "SELECT array_agg(email) FROM users") == [winner.admin_email]


async def test_a_database_left_unmarked_by_a_crash_is_adopted_by_its_tenant_only(
    admin_database_url: str,
) -> None:
    """CREATE DATABASE and its COMMENT cannot share a transaction: a crash between them
    leaves the database unmarked but owned by the tenant's marked role. The tenant's
    next attempt adopts it; an object that no tenant ever marked is refused."""
    slug = new_slug()
    tenant = apply(None, TenantRequested(tenant_id=uuid.uuid4(), owner="a", actor="a",
                                         name=slug, slug=slug, plan="free",
                                         admin_email=f"a@{slug}.example"), 1)
    name = "tenant_" + slug.replace("-", "_")
    mark = "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1"
    databases = TenantDatabases(admin_database_url, concurrency=1)
    try:
        await databases.run_stage("creating_database", tenant)
        await scalar(admin_database_url, f"COMMENT ON DATABASE {name} IS NULL")
        await databases.run_stage("creating_database", tenant)
        assert await scalar(admin_database_url, mark, name) == f"tenant:{tenant.id}"

        await databases.drop(tenant)
        await scalar(admin_database_url, f"CREATE ROLE {name}")  # made by hand
        with pytest.raises(TenantDbError, match="not marked") as refused:
            await databases.run_stage("creating_database", tenant)
        assert not refused.value.transient
        await databases.drop(tenant)  # not its own: left alone
        assert await scalar(admin_database_url,
                            "SELECT count(*) FROM pg_roles WHERE rolname = $1", name) == 1
    finally:
        await scalar(admin_database_url, f"DROP ROLE IF EXISTS {name}")
        await databases.close()
