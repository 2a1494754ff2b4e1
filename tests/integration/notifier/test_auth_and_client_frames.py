"""Auth (4401), bad client frames, expiring tokens and dead peers, on a real notifier."""

from __future__ import annotations

import base64
import os
import socket
import time
import uuid

import httpx
import jwt
import pytest
import websockets

from tests.conftest import wait_until
from tests.e2e.harness import JWT_SECRET
from tests.integration.notifier.support import Appender, Client, NotifierProcess, token


def _unsigned(claims: dict[str, object]) -> str:
    return jwt.encode(claims, None, algorithm="none")


BAD_TOKENS = {
    "garbage": "not-a-jwt",
    "wrong secret": jwt.encode({"sub": "a", "aud": "tenant-platform",
                                "exp": int(time.time()) + 600}, "x" * 40, algorithm="HS256"),
    "expired": jwt.encode({"sub": "a", "aud": "tenant-platform", "exp": int(time.time()) - 5},
                          JWT_SECRET, algorithm="HS256"),
    "wrong audience": jwt.encode({"sub": "a", "aud": "elsewhere", "exp": int(time.time()) + 600},
                                 JWT_SECRET, algorithm="HS256"),
    "alg none": _unsigned({"sub": "a", "aud": "tenant-platform", "exp": int(time.time()) + 600}),
}


@pytest.mark.parametrize("bad", [None, *BAD_TOKENS], ids=lambda b: b or "missing")
async def test_missing_or_invalid_token_closes_with_4401(
    notifier: NotifierProcess, bad: str | None
) -> None:
    async with Client(notifier.url(BAD_TOKENS[bad] if bad else None)) as client:
        assert await client.wait_closed() == 4401
    assert client.frames == []  # not even a welcome


async def test_the_authorization_header_works_too(
    notifier: NotifierProcess, appender: Appender
) -> None:
    sub = f"hdr-{uuid.uuid4().hex[:6]}"
    headers = {"Authorization": f"Bearer {token(sub)}"}
    async with Client(notifier.url(None), additional_headers=headers) as client:
        await wait_until(lambda: client.frames)
        assert client.frames[0]["type"] == "welcome" and client.frames[0]["user"] == sub
        assert client.frames[0]["after"] is None
        _, seq = await appender.new_tenant(sub)
        await client.wait_seq(seq)


@pytest.mark.parametrize(("send", "code"), [
    ("x" * (64 * 1024 + 1), 1009),  # over the 64 KB limit
    ("this is not json", 4400),
    (b"\x00\x01binary", 1003),
])
async def test_bad_client_frames_close_the_session_with_a_clear_code(
    notifier: NotifierProcess, appender: Appender, send: str | bytes, code: int
) -> None:
    sub = f"frames-{uuid.uuid4().hex[:6]}"
    async with Client(notifier.url(token(sub))) as bad, Client(notifier.url(token(sub))) as good:
        await wait_until(lambda: bad.frames and good.frames)
        await bad.socket.send('{"type": "hello"}')  # JSON is fine and ignored
        await bad.socket.send(send)
        assert await bad.wait_closed() == code
        # the process and the user's other session carry on
        _, seq = await appender.new_tenant(sub)
        await good.wait_seq(seq)
        assert not good.closed.is_set()


async def test_a_bad_after_closes_with_4400(notifier: NotifierProcess) -> None:
    async with Client(notifier.url(token("someone"), after=-3)) as client:
        assert await client.wait_closed() == 4400


async def test_an_expiring_token_closes_with_4401_and_a_fresh_one_resumes_losing_nothing(
    notifier: NotifierProcess, appender: Appender
) -> None:
    sub = f"exp-{uuid.uuid4().hex[:6]}"
    tenant, first = await appender.new_tenant(sub)
    async with Client(notifier.url(token(sub, ttl_seconds=2), after=first)) as client:
        await wait_until(lambda: client.frames)
        seq = await appender.progress(tenant, 10)
        await client.wait_seq(seq)
        started = time.monotonic()
        assert await client.wait_closed(timeout=10) == 4401
        assert client.close_reason == "token expired"
        assert time.monotonic() - started < 4
    missed = [await appender.progress(tenant, p) for p in (20, 30)]  # while away
    async with Client(notifier.url(token(sub), after=client.seqs()[-1])) as resumed:
        await resumed.wait_seq(missed[-1])
        assert resumed.seqs() == missed


def _handshake_only(port: int, sub_token: str) -> socket.socket:
    """A peer that completes the WebSocket handshake, then never reads or answers a ping."""
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws?access_token={sub_token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    sock.settimeout(5)
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    return sock


async def test_a_dead_session_is_dropped_within_two_ping_intervals(
    notifier: NotifierProcess,
) -> None:
    interval = 1.0  # the notifier fixture's NOTIFIER_PING_INTERVAL_SECONDS
    before = notifier.metrics()["notifier_sessions_open"]
    sock = _handshake_only(notifier.port, token(f"dead-{uuid.uuid4().hex[:6]}"))
    try:
        await wait_until(lambda: notifier.metrics()["notifier_sessions_open"] > before, 5)
        opened = time.monotonic()
        await wait_until(lambda: notifier.metrics()["notifier_sessions_open"] <= before,
                         timeout=2 * interval + 1, interval=0.1)
        assert time.monotonic() - opened <= 2 * interval + 0.5
    finally:
        sock.close()


async def test_healthz_metrics_and_unknown_paths(notifier: NotifierProcess) -> None:
    metrics = notifier.metrics()
    for name in ("notifier_sessions_open", "notifier_frames_sent_total",
                 "notifier_sessions_closed_slow_total", "notifier_stream_lag_messages"):
        assert name in metrics, name
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{notifier.port}") as http:
        for path, body in (("/healthz", "ok\n"), ("/readyz", "ready\n")):
            response = await http.get(path)
            assert response.status_code == 200 and response.text == body
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"ws://127.0.0.1:{notifier.port}/elsewhere"):
            pass
    assert refused.value.response.status_code == 404
