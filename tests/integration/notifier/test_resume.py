"""Gap-free resume: after a disconnect, from memory or from the stream, and across a crash."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from tests.conftest import wait_until
from tests.integration.notifier.support import (
    Appender,
    Client,
    NotifierProcess,
    ResumingClient,
    token,
)


@pytest.fixture(params=["window", "stream"])
def resuming_notifier(request: pytest.FixtureRequest, notifier: NotifierProcess,
                      start_notifier: Callable[..., NotifierProcess]) -> NotifierProcess:
    """`window`: the missed events are in memory; `stream`: a window of 5 events cannot
    hold 20, so the session replays from the stream with its own consumer first."""
    if request.param == "window":
        return notifier
    return start_notifier(NOTIFIER_WINDOW="5")


async def test_reconnect_with_after_gets_exactly_the_missed_events_in_order_then_live(
    resuming_notifier: NotifierProcess, notifier: NotifierProcess, appender: Appender
) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    tenant, _ = await appender.new_tenant(alice)
    others, _ = await appender.new_tenant(bob)
    async with Client(resuming_notifier.url(token(alice))) as client:
        seq = await appender.progress(tenant, 5)
        await client.wait_seq(seq)
    last_seen = client.seqs()[-1]

    missed = []
    for i in range(20):
        missed.append(await appender.progress(tenant, i))
        await appender.progress(others, i)  # bob's: must not show up

    async with Client(resuming_notifier.url(token(alice), after=last_seen)) as resumed:
        await resumed.wait_seq(missed[-1])
        assert resumed.frames[0]["after"] == last_seen
        assert resumed.seqs() == missed
        live = [await appender.progress(tenant, 99) for _ in range(3)]
        await resumed.wait_seq(live[-1])
        assert resumed.seqs() == missed + live
        assert {e["event"]["owner"] for e in resumed.events()} == {alice}
    replays = resuming_notifier.metrics()["notifier_stream_replays_total"]
    assert (replays > 0) == (resuming_notifier is not notifier)  # the path really taken


async def test_kill_9_while_events_flow_then_every_client_resumes_with_nothing_missing(
    start_notifier: Callable[..., NotifierProcess], appender: Appender
) -> None:
    # A small window so that the restarted process serves part of the resume from
    # the stream and part from memory.
    notifier = start_notifier(NOTIFIER_WINDOW="50", NOTIFIER_PING_INTERVAL_SECONDS="1")
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    tenants = {alice: [(await appender.new_tenant(alice))[0] for _ in range(2)],
               bob: [(await appender.new_tenant(bob))[0]]}
    start = min(appender.last.values())
    clients = {
        "alice-1": (alice, ResumingClient(lambda a: notifier.url(token(alice), a), start - 1)),
        "alice-2": (alice, ResumingClient(lambda a: notifier.url(token(alice), a), start - 1)),
        "bob": (bob, ResumingClient(lambda a: notifier.url(token(bob), a), start - 1)),
        "admin": ("admin", ResumingClient(lambda a: notifier.url(token("root", "admin"), a),
                                          start - 1)),
    }
    tasks = [asyncio.create_task(c.run()) for _, c in clients.values()]
    for _, c in clients.values():
        await asyncio.wait_for(c.welcomed.wait(), 10)

    appended: list[tuple[int, str, uuid.UUID]] = []

    async def flow(count: int) -> None:
        for i in range(count):
            owner = (alice, alice, bob)[i % 3]
            tenant = tenants[owner][i % len(tenants[owner])]
            appended.append((await appender.progress(tenant, i % 100), owner, tenant))

    await flow(150)
    flowing = asyncio.create_task(flow(300))
    await wait_until(lambda: len(appended) > 200)
    notifier.kill()  # mid-flow
    await wait_until(lambda: len(appended) > 300)
    await asyncio.to_thread(notifier.start)  # same port: the clients reconnect on their own
    await flowing
    try:
        mine = {t for ts in tenants.values() for t in ts}
        expected = {
            alice: [s for s, o, _ in appended if o == alice],
            bob: [s for s, o, _ in appended if o == bob],
            "admin": [s for s, _, _ in appended],
        }
        for name, (sub, client) in clients.items():
            last = expected[sub][-1]
            await wait_until(lambda c=client, last=last: c.seqs and c.seqs[-1] >= last,
                             timeout=20)
            got = [s for s, e in zip(client.seqs, client.events, strict=True)
                   if uuid.UUID(e["tenant_id"]) in mine
                   and e["type"] == "TenantProgress"]
            assert got == expected[sub], name  # nothing missing, nothing repeated, in order
            assert len(client.seqs) == len(set(client.seqs)), name
            assert client.sessions >= 2, name  # it really was cut off and came back
    finally:
        for _, client in clients.values():
            client.stop()
        notifier.stop()
        await asyncio.gather(*tasks)
