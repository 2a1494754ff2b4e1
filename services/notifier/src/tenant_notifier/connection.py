"""One WebSocket session: authenticate, welcome, replay, then live, until it closes.

Each session runs three small tasks beside the handler: the writer (replay,
then its live queue), the reader (client frames are only checked, never acted
on) and the heartbeat. Whichever decides the session is over calls
`Session.request_close`; the handler then closes the socket with that code.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from tenant_notifier.auth import InvalidToken, TokenVerifier
from tenant_notifier.hub import Hub, Session
from tenant_notifier.protocol import (
    CLOSE_AFTER_BEYOND_HEAD,
    CLOSE_BAD_REQUEST,
    CLOSE_INTERNAL_ERROR,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHORIZED,
    BadConnect,
    beyond_head_reason,
    close_reason,
    events_frame,
    judge_client_frame,
    parse_connect,
    welcome_frame,
)
from tenant_notifier.settings import Settings
from tenant_notifier.shared_call import SharedCall
from tenant_notifier.stream import StreamReplay

log = logging.getLogger(__name__)

DEAD = -1  # not a wire code: the peer stopped answering pings, so the TCP is cut
HEAD_LOOKUP_SECONDS = 2.0  # how long a connect may wait to learn the stream's head
MAX_BATCH = 256  # frames per pass of the writer: bounds one message (or one write)


@dataclass
class Sessions:
    settings: Settings
    hub: Hub
    verifier: TokenVerifier
    open_replay: Callable[[int], Awaitable[StreamReplay]]
    refresh_stream_head: Callable[[], Awaitable[None]]
    open: set[Session] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.refresh_stream_head = SharedCall(self.refresh_stream_head)

    async def handle(self, conn: ServerConnection) -> None:
        assert conn.request is not None  # the handler only runs after a handshake
        try:
            params = parse_connect(conn.request.path, conn.request.headers)
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
        session = Session(uuid.uuid4().hex, principal, self.settings.session_buffer,
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
    def __init__(self, conn: ServerConnection, session: Session, sessions: Sessions,
                 batch: bool = False) -> None:
        self.conn, self.session, self.sessions = conn, session, sessions
        self.batch = batch
        self.hub, self.stats = sessions.hub, sessions.hub.stats
        self.wake = asyncio.Event()
        self.closing = asyncio.Event()
        self.writer_idle = False  # the writer task waits for `wake`, nothing in flight
        self.flush_scheduled = False
        session.on_frame = self._frame_queued
        session.on_close = self.closing.set

    async def run(self, after: int | None) -> None:
        session, conn = self.session, self.conn
        start = after if after is not None else await self._now()
        try:
            await conn.send(welcome_frame(session.session_id, session.principal.sub, after),
                            text=True)
        except ConnectionClosed:
            return
        expiry = self._close_at_expiry()
        tasks = [asyncio.create_task(coro) for coro in
                 (self._write(start), self._read(), self._heartbeat(), self.closing.wait())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if expiry is not None:
                expiry.cancel()
            self.hub.unregister(session)  # before any await: no more frames queued
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
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
                    await conn.close()  # the peer went away: completes at once
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

    async def _write(self, after: int) -> None:
        try:
            await self._catch_up(after)
            while True:
                self.writer_idle = True
                try:
                    await self.wake.wait()
                finally:
                    self.writer_idle = False
                self.wake.clear()  # before draining: a frame queued meanwhile sets it again
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

    def _frame_queued(self) -> None:
        """The hub queued a live frame. One flush per session per turn of the event loop
        writes whatever the feed queued in that turn: no task switch per frame per
        session, which was most of the fan-out's cost."""
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self.flush_scheduled = False
        queue, conn = self.session.queue, self.conn
        if not queue:
            return
        if not self.writer_idle or conn.paused or conn.protocol.state is not State.OPEN:
            # Backpressure, a catch-up still under way, or a closing connection: the
            # writer task handles it (it waits for the buffer to drain, or ends).
            self.wake.set()
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
        """Frames to the transport at once (the caller checked it is open and not paused:
        its buffer then absorbs them; past the high-water mark the writer task takes over)."""
        protocol = self.conn.protocol
        if self.batch and len(frames) > 1:
            protocol.send_text(events_frame(frames))
        else:
            for frame in frames:
                protocol.send_text(frame)
        # Synchronous since send_text: nothing else was queued, and nothing is a close.
        self.conn.transport.write(b"".join(protocol.data_to_send()))
        self.stats.frames_sent += len(frames)

    async def _send(self, frames: list[bytes]) -> None:
        """Every frame waiting, in one pass: this is the hot path of the fan-out.

        One frame: one message, as always. Several: one `events` message when the
        client asked for batches, else one WebSocket frame each, all of them passed to
        the transport in one write (one syscall, one send context, instead of one of
        each per frame)."""
        conn = self.conn
        if len(frames) == 1:
            await conn.send(frames[0], text=True)
        elif self.batch:
            await conn.send(events_frame(frames), text=True)
        else:
            async with conn.send_context():  # checks the state; drains on exit
                protocol = conn.protocol
                for frame in frames:
                    protocol.send_text(frame)
                conn.transport.write(b"".join(protocol.data_to_send()))
        self.stats.frames_sent += len(frames)

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

    async def _heartbeat(self) -> None:
        interval = self.sessions.settings.ping_interval
        while True:
            await asyncio.sleep(interval)
            try:
                # The ping itself may wait behind a full write buffer: that counts too.
                async with asyncio.timeout(interval):
                    pong = await self.conn.ping()
                    await pong
            except TimeoutError:
                self.session.request_close(DEAD, "no pong")
                return
            except ConnectionClosed:
                return

