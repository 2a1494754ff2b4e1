"""Routing under load, slow clients, and replicas that each deliver everything."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import Callable

import websockets

from tests.conftest import wait_until
from tests.integration.notifier.support import Appender, Client, NotifierProcess, token


async def _append_rounds(appender: Appender, tenants: list[uuid.UUID], rounds: int,
                         message: str = "") -> list[int]:
    """`rounds` events per tenant; tenants in parallel, each tenant's in order."""
    async def one(tenant: uuid.UUID) -> list[int]:
        return [await appender.progress(tenant, i % 100, message) for i in range(rounds)]

    return sorted(s for seqs in await asyncio.gather(*map(one, tenants)) for s in seqs)


async def test_under_mixed_load_a_user_never_gets_another_users_frames(
    notifier: NotifierProcess, appender: Appender
) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    a_tenants = [(await appender.new_tenant(alice))[0] for _ in range(5)]
    b_tenants = [(await appender.new_tenant(bob))[0] for _ in range(5)]
    async with (
        Client(notifier.url(token(alice))) as a_tab,
        Client(notifier.url(token(bob))) as b_tab1,
        Client(notifier.url(token(bob))) as b_tab2,
        Client(notifier.url(token("root", "admin"))) as admin,
    ):
        await wait_until(lambda: all(c.frames for c in (a_tab, b_tab1, b_tab2, admin)))
        a_seqs, b_seqs = await asyncio.gather(
            _append_rounds(appender, a_tenants, 100), _append_rounds(appender, b_tenants, 100))
        assert len(a_seqs) + len(b_seqs) == 1000
        for client, last in ((a_tab, a_seqs[-1]), (b_tab1, b_seqs[-1]), (b_tab2, b_seqs[-1]),
                             (admin, max(a_seqs[-1], b_seqs[-1]))):
            await client.wait_seq(last, timeout=30)
        a_set = set(a_tenants)
        for tab in (b_tab1, b_tab2):
            assert tab.events(a_set) == []  # zero frames of alice's tenants
            assert tab.seqs() == b_seqs  # and every one of bob's, once, in order
            assert {f["event"]["owner"] for f in tab.events()} == {bob}
        assert a_tab.seqs() == a_seqs
        assert admin.seqs(a_set | set(b_tenants)) == sorted(a_seqs + b_seqs)
        # the same bytes went to every session that got an event
        assert a_tab.events() == admin.events(a_set)


async def test_a_client_that_never_reads_is_closed_4008_while_the_users_fast_session_gets_all(
    start_notifier: Callable[..., NotifierProcess], appender: Appender
) -> None:
    notifier = start_notifier(NOTIFIER_SESSION_BUFFER="16")
    sub = f"slow-{uuid.uuid4().hex[:6]}"
    tenants = [(await appender.new_tenant(sub))[0] for _ in range(4)]
    # The slow client does not read: its library stops taking data from the socket
    # after one queued message, its kernel buffer is tiny, so the server's writes
    # back up into the session buffer.
    tiny = socket.socket()
    tiny.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    tiny.connect(("127.0.0.1", notifier.port))
    slow = await websockets.connect(notifier.url(token(sub)), sock=tiny, max_queue=1)
    try:
        async with Client(notifier.url(token(sub))) as fast:
            await wait_until(lambda: fast.frames)
            big = "x" * 16_000  # ~16 KB frames fill the socket buffers quickly
            seqs = await _append_rounds(appender, tenants, 100, message=big)
            await fast.wait_seq(seqs[-1], timeout=30)
            assert fast.seqs() == seqs and not fast.closed.is_set()
            await wait_until(
                lambda: notifier.metrics()["notifier_sessions_closed_slow_total"] == 1)
        # Now the slow one reads: what it was sent before, then the close frame.
        received = []
        async with asyncio.timeout(10):
            with contextlib.suppress(websockets.ConnectionClosed):
                async for message in slow:
                    received.append(json.loads(message))
        assert slow.close_code == 4008 and "too slow" in (slow.close_reason or "")
        slow_seqs = [f["seq"] for f in received if f["type"] == "event"]
        assert slow_seqs == seqs[: len(slow_seqs)] and len(slow_seqs) < len(seqs)
    finally:
        await slow.close()


async def test_two_replicas_each_deliver_completely(
    notifier: NotifierProcess, start_notifier: Callable[..., NotifierProcess],
    appender: Appender,
) -> None:
    second = start_notifier()
    sub = f"rep-{uuid.uuid4().hex[:6]}"
    tenant, _ = await appender.new_tenant(sub)
    async with (
        Client(notifier.url(token(sub))) as on_first,
        Client(second.url(token(sub))) as on_second,
        Client(second.url(token("root", "admin"))) as admin_on_second,
    ):
        await wait_until(lambda: on_first.frames and on_second.frames and admin_on_second.frames)
        seqs = await _append_rounds(appender, [tenant], 50)
        for client in (on_first, on_second, admin_on_second):
            await client.wait_seq(seqs[-1])
            assert client.seqs({tenant}) == seqs
