"""Issue 2's end-to-end path: POST as one user, watch every step on the sockets."""

from __future__ import annotations

import time
import uuid

import asyncpg
import httpx

from tenant_contracts.tenant import STAGES
from tenantctl.postgres import PostgresCluster
from tests.e2e.harness import Platform
from tests.e2e.ws_client import Watcher


async def test_a_tenant_goes_from_post_to_active_on_the_owners_and_admins_sockets(
    platform: Platform, postgres: PostgresCluster
) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    async with (
        Watcher(platform.ws_url, platform.token(alice)) as alice_ws,
        Watcher(platform.ws_url, platform.token(bob)) as bob_ws,
        Watcher(platform.ws_url, platform.token("root", "admin")) as admin_ws,
        httpx.AsyncClient(base_url=platform.api_url) as http,
    ):
        started = time.perf_counter()
        response = await http.post(
            "/api/v1/tenants",
            json={"name": "Acme", "slug": slug, "admin_email": "admin@acme.test"},
            headers={"Authorization": f"Bearer {platform.token(alice)}"},
        )
        assert response.status_code == 202, response.text
        tenant = response.json()
        tenant_id = tenant["id"]
        assert response.headers["location"] == f"/api/v1/tenants/{tenant_id}"
        assert tenant["status"] == "Pending"

        await alice_ws.wait_for(tenant_id, "TenantActive")
        elapsed = time.perf_counter() - started
        print(f"\nPOST -> TenantActive on the owner's socket: {elapsed * 1000:.0f} ms")

        kinds = [(e["type"], e.get("stage")) for e in alice_ws.events(tenant_id)]
        assert kinds == [
            ("TenantRequested", None),
            ("TenantProvisioning", None),
            *[("TenantProgress", stage) for stage, _ in STAGES],
            ("TenantActive", None),
        ]
        seqs = [f["seq"] for f in alice_ws.frames if f["type"] == "event"]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

        await admin_ws.wait_for(tenant_id, "TenantActive")
        assert admin_ws.events(tenant_id) == alice_ws.events(tenant_id)

        # Bob's own request comes later in the stream than all of alice's events,
        # so once it reached him, anything of alice's would have reached him too.
        bobs = await http.post(
            "/api/v1/tenants",
            json={"name": "Bob Co", "slug": f"bob-{uuid.uuid4().hex[:8]}",
                  "admin_email": "bob@bob.test"},
            headers={"Authorization": f"Bearer {platform.token(bob)}"},
        )
        assert bobs.status_code == 202, bobs.text
        await bob_ws.wait_for(bobs.json()["id"], "TenantRequested")
        assert bob_ws.events(tenant_id) == []
        assert {e["owner"] for e in bob_ws.events()} == {bob}

        shown = await http.get(f"/api/v1/tenants/{tenant_id}",
                               headers={"Authorization": f"Bearer {platform.token(alice)}"})
        assert shown.status_code == 200
        assert shown.json()["status"] == "Active"

    database = f"tenant_{slug.replace('-', '_')}"
    conn = await asyncpg.connect(postgres.url(database))
    try:
        emails = await conn.fetch("SELECT email FROM users")
    finally:
        await conn.close()
    assert [row["email"] for row in emails] == ["admin@acme.test"]
