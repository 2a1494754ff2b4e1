"""A deleted consumer or stream is re-created at run time, and readiness tells the
truth meanwhile (issue 9, defect 4): before, the provisioner logged "fetch failed"
for ever and every /readyz stayed ready."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import nats
import pytest

from tenant_contracts.subjects import STREAM_NAME
from tenantctl.nats_server import temporary_nats_server
from tests.conftest import wait_until
from tests.e2e.harness import Platform


@pytest.fixture
async def platform(fresh_database: str, admin_database_url: str) -> AsyncIterator[Platform]:
    with temporary_nats_server("tp-recovery-nats-") as server:
        running = Platform(nats_url=server.url, nats_credentials=server.auth,
                           database_url=fresh_database,
                           provisioner_database_url=admin_database_url).start()
        try:
            yield running
        finally:
            running.stop()


def _provisioner_url(platform: Platform) -> str:
    return f"http://127.0.0.1:{platform.services['provisioner'].env['PROVISIONER_PORT']}"


async def _readyz(url: str) -> tuple[int, str]:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"{url}/readyz")
        return response.status_code, response.text


async def _create_until_active(platform: Platform) -> None:
    token = Platform.token(f"u-{uuid.uuid4().hex[:6]}")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=10) as client:
        body = {"name": "R", "slug": f"r-{uuid.uuid4().hex[:10]}", "admin_email": "a@r.test"}
        created = await client.post("/api/v1/tenants", json=body, headers=headers)
        assert created.status_code == 202, created.text

        async def active() -> bool:
            got = await client.get(f"/api/v1/tenants/{created.json()['id']}", headers=headers)
            return got.json()["status"] == "Active"

        await wait_until(active, timeout=30)


async def test_a_deleted_consumer_comes_back(platform: Platform) -> None:
    await _create_until_active(platform)
    nc = await nats.connect(**platform.nats_options())  # admin: it deletes
    try:
        await nc.jetstream().delete_consumer(STREAM_NAME, "provisioner")
        # Not ready (saying why) until the keeper has put it back, then ready again.
        seen: list[str] = []

        async def said_why_then_recovered() -> bool:
            code, text = await _readyz(_provisioner_url(platform))
            if code == 503:
                seen.append(text)
            return code == 200 and (bool(seen) or await _consumer_exists(nc))

        await wait_until(said_why_then_recovered, timeout=20, interval=0.1)
        assert await _consumer_exists(nc)
    finally:
        await nc.close()
    await _create_until_active(platform)  # and it does its work again


async def _consumer_exists(nc: nats.NATS) -> bool:
    try:
        await nc.jetstream().consumer_info(STREAM_NAME, "provisioner")
        return True
    except nats.js.errors.NotFoundError:
        return False


async def test_a_deleted_stream_is_recreated_and_readiness_says_what_it_needs(
        platform: Platform) -> None:
    await _create_until_active(platform)
    nc = await nats.connect(**platform.nats_options())  # admin: it deletes
    try:
        await nc.jetstream().delete_stream(STREAM_NAME)

        async def recreated() -> bool:
            try:
                await nc.jetstream().stream_info(STREAM_NAME)
                return await _consumer_exists(nc)
            except nats.js.errors.NotFoundError:
                return False

        await wait_until(recreated, timeout=20, interval=0.2)
    finally:
        await nc.close()
    # The provisioner works on the new stream; the api and the notifier say that their
    # read model and window refer to the old one, and what to do.
    await wait_until(lambda: _ready(_provisioner_url(platform)), timeout=20)

    async def api_says_rebuild() -> bool:
        code, text = await _readyz(platform.api_url)
        return code == 503 and "projections rebuild" in text

    async def notifier_says_restart() -> bool:
        code, text = await _readyz(f"http://127.0.0.1:{platform.notifier_port}")
        return code == 503 and "restart the notifier" in text

    await wait_until(api_says_rebuild, timeout=20)
    await wait_until(notifier_says_restart, timeout=20)


async def _ready(url: str) -> bool:
    return (await _readyz(url))[0] == 200
