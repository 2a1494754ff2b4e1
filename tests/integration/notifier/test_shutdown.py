"""SIGTERM closes every session with 1012 so that clients reconnect elsewhere."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

from tests.conftest import wait_until
from tests.integration.notifier.support import Appender, Client, NotifierProcess, token


async def test_sigterm_closes_sessions_with_1012_and_exits(
    start_notifier: Callable[..., NotifierProcess], appender: Appender
) -> None:
    notifier = start_notifier()
    sub = f"term-{uuid.uuid4().hex[:6]}"
    tenant, _ = await appender.new_tenant(sub)
    async with (
        Client(notifier.url(token(sub))) as live,
        Client(notifier.url(token("root", "admin"))) as admin,
    ):
        seq = await appender.progress(tenant)
        await live.wait_seq(seq)
        await wait_until(lambda: admin.frames)
        started = time.monotonic()
        assert await asyncio.to_thread(notifier.stop) == 0  # the loop must keep serving the clients
        assert time.monotonic() - started < 5
        assert await live.wait_closed() == 1012
        assert await admin.wait_closed() == 1012
        assert live.close_reason == "server restarting"
