"""/healthz, /readyz and /metrics for the services without an HTTP server of their
own (the provisioner, the mailer).

Hand-written on asyncio streams rather than an ASGI server: three GET routes, no
bodies, and the process's SIGTERM handling stays its own (uvicorn's serve() takes
over the signal handlers). Every read is bounded in size and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger(__name__)

MAX_REQUEST_LINE = 8192
MAX_HEADERS = 64
READ_TIMEOUT_SECONDS = 5.0

Readiness = Callable[[], Awaitable[dict[str, str | None]]]


async def serve_health(host: str, port: int, readiness: Readiness,
                       refresh_metrics: Callable[[], Awaitable[None]]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                request_line = await reader.readline()
                for _ in range(MAX_HEADERS):
                    if await reader.readline() in (b"\r\n", b"\n", b""):
                        break
            status, content_type, body = await _route(request_line, readiness,
                                                      refresh_metrics)
        except (TimeoutError, ValueError, asyncio.LimitOverrunError):
            status, content_type, body = "400 Bad Request", "text/plain", b"bad request\n"
        except ConnectionError:
            return
        head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        with contextlib.suppress(ConnectionError):
            writer.write(head.encode() + body)
            await writer.drain()
            writer.close()

    return await asyncio.start_server(handle, host, port, limit=MAX_REQUEST_LINE)


async def _route(request_line: bytes, readiness: Readiness,
                 refresh_metrics: Callable[[], Awaitable[None]]) -> tuple[str, str, bytes]:
    parts = request_line.decode("latin-1").split()
    if len(parts) != 3 or parts[0] != "GET":
        return "405 Method Not Allowed", "text/plain", b"only GET\n"
    path = parts[1].split("?", 1)[0]
    if path == "/healthz":
        return "200 OK", "text/plain", b"ok\n"
    if path == "/readyz":
        problems = {name: why for name, why in (await readiness()).items() if why}
        if not problems:
            return "200 OK", "text/plain", b"ready\n"
        text = "".join(f"{name}: {why}\n" for name, why in problems.items())
        return "503 Service Unavailable", "text/plain", text.encode()
    if path == "/metrics":
        with contextlib.suppress(Exception):  # a stale gauge beats a failed scrape
            async with asyncio.timeout(1.0):
                await refresh_metrics()
        return "200 OK", CONTENT_TYPE_LATEST, generate_latest()
    return "404 Not Found", "text/plain", b"not found\n"
