"""The SPA's handshake across two services: load GET /api/v1/tenants, then open the
socket with after=<as_of>; what was appended in between arrives, nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tenantctl.nats_auth import NatsCredentials
from tests.conftest import wait_until
from tests.e2e.harness import Platform
from tests.integration.notifier.support import Appender, Client, token


@pytest.fixture
def api_and_notifier(nats_url: str, nats_credentials: NatsCredentials, stream: str,
                     fresh_database: str, admin_database_url: str) -> Iterator[Platform]:
    platform = Platform(nats_url=nats_url, nats_credentials=nats_credentials,
                        database_url=fresh_database,
                        provisioner_database_url=admin_database_url).start("api", "notifier")
    yield platform
    platform.stop()


async def test_as_of_of_the_tenant_list_works_as_after(
    api_and_notifier: Platform, appender: Appender
) -> None:
    alice = f"alice-{uuid.uuid4().hex[:6]}"
    tenant, _ = await appender.new_tenant(alice)
    loaded_seq = await appender.progress(tenant, 10)
    headers = {"Authorization": f"Bearer {token(alice)}"}
    async with httpx.AsyncClient(base_url=api_and_notifier.api_url, headers=headers) as http:
        async def listed() -> dict[str, Any] | None:
            page = (await http.get("/api/v1/tenants")).json()
            return page if page["items"] and page["items"][0]["version"] == loaded_seq else None

        page = await wait_until(listed)
    as_of = page["as_of"]
    assert as_of >= loaded_seq
    between = [await appender.progress(tenant, p) for p in (20, 30, 40)]  # while "loading"
    async with Client(f"{api_and_notifier.ws_url}?access_token={token(alice)}"
                      f"&after={as_of}") as socket:
        await socket.wait_seq(between[-1])
        later = await appender.progress(tenant, 50)
        await socket.wait_seq(later)
        assert socket.seqs() == [*between, later]  # appended after the page was read
