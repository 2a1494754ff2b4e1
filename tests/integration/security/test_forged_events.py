"""Defence in depth: a principal allowed to append outcomes (the provisioner) forges
events for alice's tenant. Neither the api's read model nor any socket takes them."""

from __future__ import annotations

import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantActive, TenantProvisioning
from tenant_contracts.subjects import STREAM_NAME
from tenantctl.nats_server import NatsServer
from tests.conftest import wait_until
from tests.e2e.harness import Platform
from tests.integration.notifier.support import Appender, Client, token
from tests.integration.security.support import Principal


@pytest.fixture
def api_and_notifier(guarded_stream: NatsServer, fresh_database: str,
                     admin_database_url: str) -> Iterator[Platform]:
    platform = Platform(nats_url=guarded_stream.url, nats_credentials=guarded_stream.auth,
                        database_url=fresh_database,
                        provisioner_database_url=admin_database_url).start("api", "notifier")
    yield platform
    platform.stop()


def poison_count(platform: Platform) -> float:
    url = f"http://127.0.0.1:{platform.notifier_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("notifier_poison_messages_total "):
                return float(line.split()[-1])
    raise AssertionError("no notifier_poison_messages_total")


async def test_forged_owner_or_tenant_reaches_no_read_model_and_no_socket(
        api_and_notifier: Platform, guarded_stream: NatsServer) -> None:
    api, provisioner = (await Principal.connect(guarded_stream, "api"),
                        await Principal.connect(guarded_stream, "provisioner"))
    requests, outcomes = Appender(api.js(5)), Appender(provisioner.js(5))
    alice, mallory = f"alice-{uuid.uuid4().hex[:6]}", f"mallory-{uuid.uuid4().hex[:6]}"
    tenant, requested = await requests.new_tenant(alice)
    outcomes.owners[tenant], outcomes.last[tenant] = alice, requested
    sockets = {who: Client(f"{api_and_notifier.ws_url}?access_token={token(who, *roles)}"
                           f"&after={requested - 1}")
               for who, roles in ((alice, ()), (mallory, ()), ("root", ("admin",)))}
    try:
        for socket in sockets.values():
            await socket.__aenter__()
        await sockets[alice].wait_seq(requested)
        before = poison_count(api_and_notifier)

        # 1. alice's tenant, on its own subject, claiming a new owner.
        stolen = TenantActive(tenant_id=tenant, owner=mallory, actor="system",
                              database="tenant_forged")
        forged = [await outcomes.append(stolen)]
        # 2. a payload for alice's tenant stored on another tenant's subject.
        elsewhere = f"tenants.{uuid.uuid4()}.active"
        misplaced = TenantActive(tenant_id=tenant, owner=alice, actor="system",
                                 database="tenant_forged")
        ack = await provisioner.js(5).publish(elsewhere, encode_event(misplaced),
                                              stream=STREAM_NAME)
        forged.append(ack.seq)
        genuine = await outcomes.append(TenantProvisioning(tenant_id=tenant, owner=alice,
                                                           actor="system", attempt=1))

        for who in (alice, "root"):
            await sockets[who].wait_seq(genuine)
            assert sockets[who].seqs({tenant}) == [requested, genuine], who
            assert not set(forged) & set(sockets[who].seqs()), who
        assert sockets[mallory].seqs() == []
        await wait_until(lambda: poison_count(api_and_notifier) == before + 2)
    finally:
        for socket in sockets.values():
            await socket.__aexit__(None, None, None)
        await api.close()
        await provisioner.close()

    async with httpx.AsyncClient(base_url=api_and_notifier.api_url) as http:
        async def projected() -> dict[str, Any] | None:
            got = (await http.get(f"/api/v1/tenants/{tenant}",
                                  headers={"Authorization": f"Bearer {token(alice)}"})).json()
            return got if got.get("version") == genuine else None

        row = await wait_until(projected)
        assert (row["status"], row["owner"], row.get("database")) == (
            "Provisioning", alice, None), row
        theirs = (await http.get("/api/v1/tenants",
                                 headers={"Authorization": f"Bearer {token(mallory)}"})).json()
        assert theirs["items"] == []
