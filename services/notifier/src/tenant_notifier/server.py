"""The listening socket: each connection's HTTP head, then its WebSocket session.

A connection starts with `Opening`, a small asyncio protocol that reads the request
head (handshake.py), answers the HTTP routes, and on an upgrade hands the transport
to `websockets`' frame layer (its sans-I/O protocol, already OPEN, inside the asyncio
`Connection`) with the 101 to write ahead of its first bytes (keepalive.py), then
starts the session's handler task.
`websockets`' own server did the same through a task per handshake, a future and
a timeout scope each, generator-based parsing and a header object per response:
about half the CPU of opening a session. Its behaviour is kept: the limits and
statuses of the head, HTTP_HEADER_TIMEOUT_SECONDS over the whole handshake, a
refusal answered then the connection half-closed, what arrives after the head
belonging to the session, 503 once the server is closing, the handler's session
closed when it returns (1011 when it fails).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from http import HTTPStatus
from typing import Any, cast

from websockets.http11 import Request, Response
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from tenant_contracts.http_limits import HttpLimits
from tenant_notifier.handshake import (
    Refusal,
    head_end,
    library_verdict,
    parse_head,
    plain,
    serialize,
    switching_protocols,
    upgrade_key,
)
from tenant_notifier.http import Routes
from tenant_notifier.keepalive import PingedConnection
from tenant_notifier.protocol import MAX_CLIENT_FRAME

# The library's logger: its per-connection lines (DEBUG) and handler failures, as before.
library_log = logging.getLogger("websockets.server")
MAX_QUEUE = 4  # client frames buffered before reading pauses (clients send next to nothing)

Handler = Callable[[PingedConnection], Awaitable[None]]


class SessionServer:
    def __init__(self, handler: Handler, routes: Routes, limits: HttpLimits,
                 close_timeout: float) -> None:
        self.handler, self.routes, self.limits = handler, routes, limits
        self.close_timeout = close_timeout
        self.connections: set[PingedConnection] = set()  # upgraded, handler running
        self.tasks: set[asyncio.Task[None]] = set()  # handlers, and slow HTTP answers
        self.closing = False
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        # backlog: a replica restart sends its thousands of clients to the others at once.
        self._server = await loop.create_server(lambda: Opening(self), host, port,
                                                backlog=1024)

    def close(self, code: int, reason: str) -> None:
        """Stop accepting; close open sessions with `code`; handshakes that complete
        from now on are answered 503."""
        self.closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            if conn.protocol.state is OPEN:
                self.spawn(conn.close(code, reason))

    async def wait_closed(self) -> None:
        """Until every handler has returned."""
        while self.tasks:
            await asyncio.wait(list(self.tasks))

    def upgraded(self, conn: PingedConnection) -> None:
        self.connections.add(conn)
        self.tasks.add(asyncio.get_running_loop().create_task(self._serve(conn)))

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _serve(self, conn: PingedConnection) -> None:
        try:
            try:
                async with conn:  # closes the session once the handler returns, 1011 if it fails
                    await self.handler(conn)
            except Exception:
                conn.logger.error("connection handler failed", exc_info=True)
            finally:
                self.connections.discard(conn)
        except Exception:
            conn.transport.abort()  # never leak the connection
        finally:
            self.tasks.discard(asyncio.current_task())


class Opening(asyncio.Protocol):
    """One connection until its head is answered: with a 101 (the transport then goes
    to the session's `PingedConnection`) or with an HTTP response."""

    def __init__(self, server: SessionServer) -> None:
        self.server = server
        self.buffer: bytearray | None = None  # an incomplete head
        self.answered = False  # what arrives after an HTTP answer is read and dropped
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        # The whole handshake, from the connection to the answer written (websockets'
        # open_timeout): a client trickling its headers, or never closing after a
        # refusal, is cut off.
        self.timer = asyncio.get_running_loop().call_later(
            self.server.limits.header_timeout, self.transport.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def eof_received(self) -> bool | None:
        return None  # the client is gone or has said everything: close

    def data_received(self, data: bytes) -> None:
        if self.answered:
            return
        pending: bytes | bytearray = data
        if self.buffer is not None:  # a head in several packets: gathered, not re-copied
            self.buffer += data
            pending = self.buffer
        max_header_bytes = self.server.limits.max_header_bytes
        try:
            end = head_end(pending, max_header_bytes)
            if end < 0:
                if self.buffer is None:
                    self.buffer = bytearray(data)
                return
            buffer = bytes(pending)
            self.buffer = None
            request = parse_head(buffer[:end], max_header_bytes)
        except Refusal as refusal:
            self._answer(plain(refusal.status, refusal.text))
            return
        try:
            answer = self.server.routes(request)
        except Exception:
            answer = _failed()
        if answer is None:
            self._upgrade(request, buffer[end:])
        elif isinstance(answer, Response):
            self._answer(answer)
        else:
            self.answered = True
            self.server.spawn(self._answer_later(answer))

    def _upgrade(self, request: Request, rest: bytes) -> None:
        key = upgrade_key(request)
        if key is None:  # not the canonical request: the library's checks decide
            verdict = library_verdict(request)
            if verdict.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
                self._answer(verdict)
                return
            key = request.headers["Sec-WebSocket-Key"]
        server = self.server
        if server.closing:
            self._answer(plain(HTTPStatus.SERVICE_UNAVAILABLE, "Server is shutting down.\n"))
            return
        assert self.transport is not None and self.timer is not None
        self.timer.cancel()
        self.timer = None
        transport = self.transport
        conn = PingedConnection(
            ServerProtocol(state=OPEN, max_size=MAX_CLIENT_FRAME, logger=library_log),
            ping_interval=None,  # one shared keepalive instead (keepalive.py)
            close_timeout=server.close_timeout, max_queue=MAX_QUEUE)
        conn.request = request
        conn.head = switching_protocols(key)  # written with the session's first write
        transport.set_protocol(conn)
        conn.connection_made(transport)
        if rest:  # frames the client sent right behind its request
            conn.data_received(rest)
        library_log.info("connection open")
        server.upgraded(conn)

    async def _answer_later(self, answer: Awaitable[Response]) -> None:
        try:
            response = await answer
        except Exception:
            response = _failed()
        self._answer(response)

    def _answer(self, response: Response) -> None:
        """Write the answer, then half-close; the connection closes when the client does
        (or after the close timeout), so that it reads the answer before any reset."""
        self.answered = True
        assert self.transport is not None
        if self.transport.is_closing():
            return
        library_log.info("HTTP response sent (%d %s)", response.status_code,
                         response.reason_phrase)
        self.transport.write(serialize(response))
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        # As `websockets` did: the client may take up to the close timeout to hang up,
        # never past the handshake's own deadline.
        timer, loop = self.timer, asyncio.get_running_loop()
        if timer is not None:
            timer.cancel()
            delay = min(timer.when() - loop.time(), self.server.close_timeout)
            self.timer = loop.call_later(max(0.0, delay), self.transport.abort)


def _failed() -> Response:
    """A route that failed (a bug): logged, and a 500 rather than a silent hang-up."""
    library_log.error("process_request failed", exc_info=True)
    return plain(HTTPStatus.INTERNAL_SERVER_ERROR,
                 "Failed to open a WebSocket connection.\nSee server log for more information.\n")
