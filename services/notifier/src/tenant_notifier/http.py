"""The plain HTTP routes beside the socket: /healthz, /readyz, /metrics; 404 otherwise.

A plain function, not a coroutine: what it returns is awaited only when it is a
coroutine (server.py), so the /ws path (every session's handshake) creates and awaits
no coroutine here; only /metrics, which asks NATS, returns one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from tenant_notifier.handshake import plain

WS_PATH = "/ws"

# None: go on with the handshake; a coroutine is awaited, then its response written.
RequestAnswer = Response | None | Coroutine[Any, Any, Response]
Routes = Callable[[Request], RequestAnswer]


def http_routes(
    render_metrics: Callable[[], bytes],
    refresh_lag: Callable[[], Awaitable[None]],
    not_ready: Callable[[], str | None],
) -> Routes:
    def routes(request: Request) -> RequestAnswer:
        path = urlsplit(request.path).path
        if path == WS_PATH:
            return None  # go on with the WebSocket handshake
        if path == "/healthz":
            return plain(HTTPStatus.OK, "ok\n")
        if path == "/readyz":
            problem = not_ready()
            if problem is None:
                return plain(HTTPStatus.OK, "ready\n")
            return plain(HTTPStatus.SERVICE_UNAVAILABLE, f"not ready: {problem}\n")
        if path == "/metrics":
            return metrics()
        return plain(HTTPStatus.NOT_FOUND, "not found\n")

    async def metrics() -> Response:
        # The lag is only as fresh as the stream head we know: ask, but never hang a scrape.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await refresh_lag()
        body = render_metrics()
        headers = Headers({"Content-Type": CONTENT_TYPE_LATEST,
                           "Content-Length": str(len(body)), "Connection": "close"})
        return Response(HTTPStatus.OK, HTTPStatus.OK.phrase, headers, body)

    return routes
