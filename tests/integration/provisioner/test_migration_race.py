"""Two workers migrating one fresh tenant database at the same moment (a redelivery
racing a stalled worker) both succeed and apply each migration once."""

from __future__ import annotations

import asyncio
import uuid

from tenant_contracts.events import TenantRequested
from tenant_contracts.tenant import Tenant, apply
from tenant_provisioner.naming import TenantNames
from tenant_provisioner.schema_migrations import migrations
from tenant_provisioner.tenant_db import TenantDatabases
from tenantctl.postgres import PostgresCluster
from tests.integration.provisioner.support import new_slug, scalar

ROUNDS = 8  # fresh databases: about 9 rounds in 10 hit the race without the lock fix


def new_tenant() -> Tenant:
    slug = new_slug()
    event = TenantRequested(tenant_id=uuid.uuid4(), owner="alice", actor="alice",
                            name=slug, slug=slug, plan="free", admin_email=f"a@{slug}.example")
    return apply(None, event, 1)


async def test_concurrent_migrations_of_one_fresh_database_both_succeed(
    admin_database_url: str, postgres: PostgresCluster,
) -> None:
    databases = TenantDatabases(admin_database_url, concurrency=4)
    try:
        for _ in range(ROUNDS):
            tenant = new_tenant()
            await databases.run_stage("creating_database", tenant)
            results = await asyncio.gather(databases.run_stage("migrating", tenant),
                                           databases.run_stage("migrating", tenant),
                                           return_exceptions=True)
            assert results == [None, None], results
            url = postgres.url(TenantNames.for_slug(tenant.slug).database)
            assert await scalar(url, "SELECT array_agg(version ORDER BY version) "
                                "FROM schema_migrations") == [m.version for m in migrations()]
            await databases.drop(tenant)
    finally:
        await databases.close()
