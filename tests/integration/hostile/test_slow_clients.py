"""Slow clients cannot hold connections: a header-read timeout on both servers, a body-read
timeout and an idle timeout on the api's keep-alive connections (the notifier takes no
body, and its sessions answer pings instead)."""

from __future__ import annotations

import asyncio
import time

from tests.e2e.harness import Platform
from tests.integration.hostile.conftest import (
    BODY_TIMEOUT_SECONDS,
    HEADER_TIMEOUT_SECONDS,
    IDLE_TIMEOUT_SECONDS,
    Watch,
)
from tests.integration.hostile.tokens import signed

TRICKLERS_PER_SERVER = 150  # 300 in all, as in the issue
TRICKLE_EVERY_SECONDS = 0.5
MARGIN_SECONDS = 3.0  # a loaded 2-core machine


async def trickle(port: int, target: bytes) -> float:
    """One header line at a time, never the blank line; seconds until the server hung up."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        line = 0
        while not reader.at_eof():
            try:
                async with asyncio.timeout(TRICKLE_EVERY_SECONDS):
                    if not await reader.read(65536):
                        break  # EOF: cut off (after an optional 408)
            except TimeoutError:
                line += 1
                writer.write(b"X-Trickle-%d: %d\r\n" % (line, line))
            except ConnectionResetError:
                break
            if time.monotonic() - started > HEADER_TIMEOUT_SECONDS + 2 * MARGIN_SECONDS:
                raise AssertionError("a trickling client was never cut off")
        return time.monotonic() - started
    finally:
        writer.close()


async def test_300_clients_trickling_headers_are_cut_off_after_the_header_timeout(
        platform: Platform, watch: Watch) -> None:
    api = [trickle(platform.api_port, b"/healthz") for _ in range(TRICKLERS_PER_SERVER)]
    notifier = [trickle(platform.notifier_port, b"/ws") for _ in range(TRICKLERS_PER_SERVER)]
    durations = await asyncio.gather(*api, *notifier)
    assert min(durations) >= HEADER_TIMEOUT_SECONDS - 0.1, min(durations)
    assert max(durations) <= HEADER_TIMEOUT_SECONDS + MARGIN_SECONDS, max(durations)
    print(f"\n{len(durations)} tricklers cut off after {min(durations):.2f}..."
          f"{max(durations):.2f} s (header timeout {HEADER_TIMEOUT_SECONDS} s)")


async def test_a_connection_that_sends_nothing_is_closed_on_both_servers(
        platform: Platform, watch: Watch) -> None:
    for port in (platform.api_port, platform.notifier_port):
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        async with asyncio.timeout(HEADER_TIMEOUT_SECONDS + MARGIN_SECONDS):
            assert await reader.read() == b""
        assert time.monotonic() - started >= HEADER_TIMEOUT_SECONDS - 0.1
        writer.close()


async def test_an_idle_keep_alive_connection_is_closed_by_the_api(
        platform: Platform, watch: Watch) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", platform.api_port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    answered = time.monotonic()
    async with asyncio.timeout(IDLE_TIMEOUT_SECONDS + MARGIN_SECONDS):
        while await reader.read(65536):
            pass  # the body, then EOF once idle
    assert time.monotonic() - answered >= IDLE_TIMEOUT_SECONDS - 0.1
    writer.close()


async def test_a_client_trickling_its_body_is_cut_off_with_408_after_the_body_timeout(
        platform: Platform, watch: Watch) -> None:
    body = b'{"name": "Trickle", "slug": "trickle", "admin_email": "a@trickle.test"}'
    reader, writer = await asyncio.open_connection("127.0.0.1", platform.api_port)
    # Signed in, so that the handler waits for the body instead of answering 401 at once.
    writer.write(b"POST /api/v1/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Authorization: Bearer " + signed().encode() + b"\r\n"
                 b"Content-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body))
    started, sent, answer = time.monotonic(), 0, b""
    try:
        while time.monotonic() - started < BODY_TIMEOUT_SECONDS + 2 * MARGIN_SECONDS:
            try:
                async with asyncio.timeout(TRICKLE_EVERY_SECONDS):
                    chunk = await reader.read(65536)  # keeps what came if the timeout hits
            except TimeoutError:
                writer.write(body[sent:sent + 1])  # one byte at a time, never all in time
                sent += 1
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break  # EOF: cut off
            answer += chunk
        elapsed = time.monotonic() - started
    finally:
        writer.close()
    assert sent < len(body), "the whole body went out before the timeout"
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"application/problem+json" in answer, answer
    assert BODY_TIMEOUT_SECONDS - 0.1 <= elapsed <= BODY_TIMEOUT_SECONDS + MARGIN_SECONDS
    watch.assert_clean_and_serving()
