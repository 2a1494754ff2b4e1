"""Poison messages and a NATS crash, on a nats-server of this test's own (the shared
stream is not the place for garbage, and the shared server must not be killed)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest

from tenantctl.nats_auth import NatsCredentials
from tenantctl.nats_server import NatsServer
from tests.integration.notifier.support import Appender, Client, NotifierProcess, token


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(store_dir=tmp_path / "nats", auth=NatsCredentials.generate()).start()
    yield server
    server.stop()


@pytest.fixture
def own_notifier(own_nats: NatsServer) -> Iterator[NotifierProcess]:
    assert own_nats.auth is not None
    process = NotifierProcess(own_nats.url, own_nats.auth).start()  # it creates the stream itself
    yield process
    process.stop()


@pytest.fixture
async def own_nc(own_nats: NatsServer, own_notifier: NotifierProcess) -> AsyncIterator[nats.NATS]:
    reconnected = asyncio.Event()

    async def on_reconnected() -> None:
        reconnected.set()

    client = await nats.connect(**own_nats.connect_options("admin"), max_reconnect_attempts=-1,
                                reconnect_time_wait=0.2, reconnected_cb=on_reconnected)
    client.reconnected = reconnected  # type: ignore[attr-defined]
    yield client
    await client.close()


async def test_poison_messages_are_skipped_and_delivery_goes_on(
    own_notifier: NotifierProcess, own_nc: nats.NATS
) -> None:
    appender = Appender(own_nc.jetstream())
    async with Client(own_notifier.url(token("alice"))) as client:
        tenant, _ = await appender.new_tenant("alice")
        js = own_nc.jetstream()
        await js.publish(f"tenants.{uuid.uuid4()}.progress", b"not json", stream="TENANTS")
        await js.publish(f"tenants.{uuid.uuid4()}.progress", b'{"type": "TenantProgress"}',
                         stream="TENANTS")  # valid JSON, but no owner to route by
        seq = await appender.progress(tenant)
        await client.wait_seq(seq)
        assert client.seqs() == [seq - 3, seq]
    metrics = own_notifier.metrics()
    assert metrics["notifier_poison_messages_total"] == 2
    assert metrics["notifier_stream_lag_messages"] == 0


async def test_sessions_outlive_a_nats_crash_and_delivery_resumes(
    own_nats: NatsServer, own_notifier: NotifierProcess, own_nc: nats.NATS
) -> None:
    appender = Appender(own_nc.jetstream())
    tenant, first = await appender.new_tenant("alice")
    async with Client(own_notifier.url(token("alice"), after=first - 1)) as client:
        await client.wait_seq(first)
        own_nats.kill()
        own_nats.start()  # same port, same store: the stream is still there
        # is_connected stays true until the client notices: wait for its reconnect
        await asyncio.wait_for(own_nc.reconnected.wait(), 10)  # type: ignore[attr-defined]
        seq = await appender.progress(tenant)
        await client.wait_seq(seq, timeout=10)
        assert client.seqs() == [first, seq]
        assert not client.closed.is_set()
    assert own_notifier.metrics()["notifier_feed_reopens_total"] >= 1
