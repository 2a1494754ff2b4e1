"""One WebSocket session: authenticate, welcome, replay, then live, until it closes.

The handler's own task is the only one a live session has: it reads client
frames (only checked, never acted on). Live frames are written from one flush
per loop turn for every session that got some, straight to the transport; a
writer task exists only while a session replays or waits for its write buffer
to drain. Pings come from the shared keepalive (keepalive.py). Whatever decides
the session is over calls `Session.request_close`; a close task then closes the
socket with that code, which ends the handler's read. Four tasks per session
(writer, reader, heartbeat, close watcher) used to cost more CPU to open 10,000
sessions than the handshake did, and most of their memory.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from tenant_contracts.access import Principal
from tenant_notifier.auth import InvalidToken
from tenant_notifier.hub import Hub, Session
from tenant_notifier.keepalive import Keepalive, PingedConnection
from tenant_notifier.protocol import (
    CLOSE_AFTER_BEYOND_HEAD,
    CLOSE_BAD_REQUEST,
    CLOSE_INTERNAL_ERROR,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHORIZED,
    BadConnect,
    beyond_head_reason,
    close_reason,
    judge_client_frame,
    parse_connect,
    text_wire,
    welcome_frame,
)
from tenant_notifier.settings import Settings
from tenant_notifier.stream import StreamReplay
from tenant_notifier.wire import WireFrames

log = logging.getLogger(__name__)

DEAD = -1  # not a wire code: the peer stopped answering pings, so the TCP is cut
HEAD_LOOKUP_SECONDS = 2.0  # how long a connect may wait to learn the stream's head
MAX_BATCH = 256  # frames per pass of the writer: bounds one message (or one write)


class Verifier(Protocol):
    async def verify(self, token: str | None) -> Principal: ...


@dataclass
class Sessions:
    settings: Settings
    hub: Hub
    verifier: Verifier
    open_replay: Callable[[int], Awaitable[StreamReplay]]
    refresh_stream_head: Callable[[], Awaitable[None]]
    open: set[Session] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.keepalive = Keepalive(self.settings.ping_interval)
        self.wire = WireFrames()
        self._to_flush: list[_Run] = []

    def flush_soon(self, run: _Run) -> None:
        """One callback per loop turn flushes every session the feed queued frames for
        in that turn, instead of one scheduled callback per session per event."""
        if not self._to_flush:
            asyncio.get_running_loop().call_soon(self._flush)
        self._to_flush.append(run)

    def _flush(self) -> None:
        runs, self._to_flush = self._to_flush, []
        for run in runs:
            run.flush()

    async def handle(self, conn: PingedConnection) -> None:
        request, conn.request = conn.request, None
        assert request is not None  # the handler only runs after a handshake
        try:
            # Read once, then dropped: its headers are a dozen objects per session that the
            # collector would otherwise walk for the session's whole life.
            params = parse_connect(request.path, request.headers)
            del request
            principal = await self.verifier.verify(params.token)
        except BadConnect as exc:
            await conn.close(CLOSE_BAD_REQUEST, close_reason(str(exc)))
            return
        except InvalidToken as exc:
            await conn.close(CLOSE_UNAUTHORIZED, close_reason(str(exc)))
            return
        if params.after is not None:
            refusal = await self._after_refusal(params.after)
            if refusal is not None:
                await conn.close(*refusal)
                return
        session = Session(secrets.token_hex(16), principal, self.settings.session_buffer,
                          params.tenants)
        self.open.add(session)
        try:
            await _Run(conn, session, self, params.batch).run(params.after)
        finally:
            self.hub.unregister(session)
            self.open.discard(session)

    async def _after_refusal(self, after: int) -> tuple[int, str] | None:
        """Why a session cannot resume after `after`, or None. Past the head it would wait,
        silently, for events that may never come (an old backup, a rebuilt stream)."""
        if after <= self.hub.live_from():
            return None
        try:
            async with asyncio.timeout(HEAD_LOOKUP_SECONDS):
                await self.refresh_stream_head()  # the head we know may just be stale
        except Exception as exc:
            log.warning("stream head unknown (%s): refusing after=%d for now", exc, after)
            return CLOSE_TRY_AGAIN_LATER, "stream head unknown; retry shortly"
        head = self.hub.live_from()
        if after <= head:
            return None
        return CLOSE_AFTER_BEYOND_HEAD, beyond_head_reason(after, head)

    def count_of(self, owner: str) -> int:
        """Open sessions of this owner (admins watching count for themselves only)."""
        return sum(1 for session in self.open if session.principal.sub == owner)

    def close_all(self, code: int, reason: str) -> None:
        for session in list(self.open):
            session.request_close(code, reason)


class _Run:
    def __init__(self, conn: PingedConnection, session: Session, sessions: Sessions,
                 batch: bool = False) -> None:
        self.conn, self.session, self.sessions = conn, session, sessions
        self.batch = batch
        self.hub, self.stats = sessions.hub, sessions.hub.stats
        self.writer: asyncio.Task[None] | None = None  # replaying, or waiting for a drain
        self.closer: asyncio.Task[None] | None = None
        self.flush_scheduled = False
        session.on_frame = self._frame_queued
        session.on_close = self._close_requested

    async def run(self, after: int | None) -> None:
        session, conn = self.session, self.conn
        start = after if after is not None else await self._now()
        welcome = welcome_frame(session.session_id, session.principal.sub, after)
        try:
            if conn.protocol.state is State.OPEN and not conn.paused:
                # No task switch; the 101 goes in the same write (keepalive.py).
                conn.transport.write(conn.take_head() + text_wire(welcome))
            else:
                await conn.send(welcome, text=True)
        except ConnectionClosed:
            if self.closer is not None:
                await self.closer  # a close requested meanwhile (a restart's 1012)
            return
        expiry = self._close_at_expiry()
        keepalive = self.sessions.keepalive
        slot = keepalive.add(self)
        try:
            self._start(start)
            await self._read()
        finally:
            if expiry is not None:
                expiry.cancel()
            keepalive.discard(self, slot)
            self.hub.unregister(session)
            self._stop_writer()
        if self.closer is not None:
            await self.closer
        else:
            await self._close()  # the peer went away: completes at once

    def _start(self, after: int) -> None:
        """Live at once when the window holds everything after `after` (every session
        that connects without `after` does); else a writer task replays first."""
        window = self.hub.window
        if window.covers(after):
            frames, cursor, at_head = window.scan(after, self.session.wants,
                                                  self.session.capacity)
            if at_head:
                self.hub.go_live(self.session, cursor, frames)  # no await since the scan
                return
        self.writer = asyncio.create_task(self._write(after))

    def _stop_writer(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None

    def _close_requested(self) -> None:
        self.hub.unregister(self.session)  # at once: no more frames queued
        if self.closer is None:
            self.closer = asyncio.create_task(self._close())

    async def _close(self) -> None:
        """Close with the session's code; the handler's read then ends."""
        session, conn = self.session, self.conn
        self._stop_writer()
        if session.close_code == DEAD:
            conn.transport.abort()
            return
        try:
            # close() first waits for the write buffer to drain, with no limit of its
            # own: a client that stopped reading would hold this handler forever.
            async with asyncio.timeout(self.sessions.settings.close_timeout):
                if session.close_code is not None:
                    await conn.close(session.close_code, session.close_reason)
                else:
                    await conn.close()
        except TimeoutError:
            conn.transport.abort()

    def _close_at_expiry(self) -> asyncio.TimerHandle | None:
        expires_at = self.session.principal.expires_at
        if expires_at is None:
            return None
        delay = max(0.0, expires_at - time.time())
        return asyncio.get_running_loop().call_later(
            delay, self.session.request_close, CLOSE_UNAUTHORIZED, "token expired")

    async def _now(self) -> int:
        """Where a session without `after` starts: past everything the stream holds
        before its welcome is sent, even what this process has not read yet."""
        try:
            await self.sessions.refresh_stream_head()
        except Exception as exc:  # without NATS, what the hub has seen will do
            log.warning("stream head unknown (%s): live from the hub's head", exc)
        return self.hub.live_from()

    def keepalive(self, ping: bytes, payload: bytes) -> None:
        conn = self.conn
        if conn.awaited_pong is not None:
            self.session.request_close(DEAD, "no pong")
        elif conn.protocol.state is State.OPEN:
            # Behind whatever the write buffer holds: a client that stopped reading
            # does not answer in time either.
            conn.awaited_pong = payload
            conn.transport.write(ping)

    def _frame_queued(self) -> None:
        """The hub queued a live frame: written with everything else queued this turn."""
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.sessions.flush_soon(self)

    def flush(self) -> None:
        self.flush_scheduled = False
        queue, conn = self.session.queue, self.conn
        if not queue or self.writer is not None:
            return  # the writer task sends what is queued once it gets to it
        if conn.protocol.state is not State.OPEN:
            queue.clear()  # closing: nothing more reaches the client
            return
        if conn.paused:  # backpressure: a task waits for the buffer to drain
            self.writer = asyncio.create_task(self._write(None))
            return
        try:
            while queue:
                frames = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
                self._write_now(frames)
        except Exception:
            log.exception("session %s failed", self.session.session_id)
            self.session.request_close(CLOSE_INTERNAL_ERROR,
                                       "server error: reconnect with after=<last seq>")

    def _write_now(self, frames: list[bytes]) -> None:
        """Frames to the transport at once, framed once for every session (wire.py).
        The caller checked the connection is open and not paused: its buffer absorbs
        them; past the high-water mark the writer task takes over. Bypassing
        `send_text` is safe: no compression, and this server never fragments."""
        wire = self.sessions.wire
        if len(frames) == 1:
            data = wire.one(frames[0])
        elif self.batch:
            data = wire.batch(frames)
        else:
            data = b"".join(map(wire.one, frames))
        self.conn.transport.write(data)
        self.stats.frames_sent += len(frames)

    async def _write(self, after: int | None) -> None:
        """Replays from `after` (None: nothing to replay), then sends whatever is queued,
        waiting for the buffer to drain after each pass; ends once the queue is empty."""
        try:
            if after is not None:
                await self._catch_up(after)
            queue = self.session.queue
            while queue:
                frames = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
                await self._send(frames)
        except ConnectionClosed:
            return
        except Exception:
            log.exception("session %s failed", self.session.session_id)
            self.session.request_close(CLOSE_INTERNAL_ERROR,
                                       "server error: reconnect with after=<last seq>")
        finally:
            if self.writer is asyncio.current_task():
                self.writer = None  # with no await since the queue was found empty

    async def _send(self, frames: list[bytes]) -> None:
        """Every frame waiting, in one write, then a wait for the buffer to drain."""
        async with self.conn.send_context():  # checks the state; drains on exit
            self._write_now(frames)

    async def _catch_up(self, after: int) -> None:
        """Send what the session missed, then go live with no gap and no duplicate."""
        session, window = self.session, self.hub.window
        visible = session.wants
        cursor = after
        replay: StreamReplay | None = None
        try:
            while True:
                if window.covers(cursor):
                    frames, cursor, at_head = window.scan(cursor, visible, session.capacity)
                    if at_head:
                        # Same synchronous step as the scan: nothing can be ingested between.
                        self.hub.go_live(session, cursor, frames)
                        return
                else:
                    if replay is None or replay.position != cursor:
                        if replay is not None:
                            await replay.close()
                        replay = await self.sessions.open_replay(cursor)
                        self.stats.stream_replays += 1
                    frames = await replay.read(visible, self.hub.routing_of)
                    cursor = replay.position
                for start in range(0, len(frames), MAX_BATCH):
                    await self._send(frames[start:start + MAX_BATCH])
        finally:
            if replay is not None:
                await replay.close()

    async def _read(self) -> None:
        try:
            async for message in self.conn:
                verdict = judge_client_frame(message)
                if verdict is not None:
                    self.session.request_close(*verdict)
                    return
        except ConnectionClosed:
            return  # includes frames over the size limit: the library closed with 1009
