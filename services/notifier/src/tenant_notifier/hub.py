"""Routing and fan-out: which live session gets which event, and when a session is too slow.

Pure: the adapters feed events in (`ingest`) and drain each session's queue.
Everything here runs synchronously on the event loop, which is what makes the
switch from replay to live race-free: `Window.scan` + `Hub.go_live` happen
with no await in between, so no event can slip past unseen.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from tenant_contracts.access import Principal
from tenant_notifier.protocol import CLOSE_TOO_SLOW, NotAnEvent, Routing, event_frame, routing_of
from tenant_notifier.window import Entry, EventWindow


@dataclass
class Stats:
    frames_sent: int = 0
    sessions_closed_slow: int = 0
    events_received: int = 0
    poison_messages: int = 0
    stream_replays: int = 0  # resumes that had to read the stream: older than the window
    stream_last_seq: int = 0  # the newest seq the stream is known to hold


def _nothing() -> None:
    return None


class Session:
    def __init__(self, session_id: str, principal: Principal, capacity: int,
                 tenants: frozenset[str] | None = None) -> None:
        self.session_id = session_id
        self.principal = principal
        self.tenants = tenants  # None: every tenant the principal may see
        self.capacity = capacity
        self.queue: deque[bytes] = deque()
        self.cursor = -1  # seq of the newest event this session got or was skipped for
        self.live = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.on_frame: Callable[[], None] = _nothing  # the adapter wakes its writer
        self.on_close: Callable[[], None] = _nothing  # the adapter closes the socket

    def wants(self, owner: str, tenant: str) -> bool:
        """Visibility first (unchanged by a filter), then the session's own tenant filter."""
        return self.principal.may_see(owner) and (self.tenants is None or tenant in self.tenants)

    def deliver(self, seq: int, frame: bytes) -> bool:
        """Queue a live frame; False when the buffer is full (the session is too slow)."""
        if seq <= self.cursor:
            return True  # already sent during replay: never twice
        self.cursor = seq
        if len(self.queue) >= self.capacity:
            return False
        self.queue.append(frame)
        self.on_frame()
        return True

    @property
    def half_full(self) -> bool:
        return len(self.queue) * 2 >= self.capacity

    def request_close(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
            self.on_close()


class Hub:
    def __init__(self, window: EventWindow, stats: Stats, stream_last_seq: int) -> None:
        self.window = window
        self.stats = stats
        stats.stream_last_seq = max(stats.stream_last_seq, stream_last_seq)
        self._by_owner: dict[str, set[Session]] = {}
        self._admins: set[Session] = set()
        # Each tenant's owner as its TenantRequested recorded it (SPEC section 2). For a
        # tenant requested before the window began, the first event seen teaches it: a
        # forgery appended before any genuine event of that tenant since this notifier
        # started would win; the api's read model, checked against the row, would not.
        # One short string per tenant: memory grows with the tenant count, not events.
        self._owners: dict[uuid.UUID, str] = {}
        self.pressure = False  # some live queue is half full: the feed should let writers run

    @property
    def lag(self) -> int:
        return max(0, self.stats.stream_last_seq - self.window.head)

    def live_from(self) -> int:
        """The newest seq known to exist: a session without `after` starts past it."""
        return max(self.window.head, self.stats.stream_last_seq)

    def routing_of(self, subject: str, payload: bytes) -> Routing:
        """Whose event this is, of which tenant; raises NotAnEvent for poison: not an
        event, not on its tenant's subject, or claiming another owner than the tenant's."""
        routing = routing_of(subject, payload)
        recorded = self._owners.setdefault(routing.tenant_id, routing.owner)
        if routing.owner != recorded:
            raise NotAnEvent(f"owner {routing.owner!r} is not the tenant's owner {recorded!r}")
        return routing

    def ingest(self, seq: int, subject: str, payload: bytes,
               trace_id: str | None = None) -> None:
        """One stream message, in stream order; raises NotAnEvent for poison (skipped).
        `trace_id` (protocol.trace_id_of) goes into the frame."""
        self.stats.stream_last_seq = max(self.stats.stream_last_seq, seq)
        if seq <= self.window.head:
            return  # redelivered after a consumer reset: already fanned out
        try:
            routing = self.routing_of(subject, payload)
        except NotAnEvent:
            self.window.skip(seq)
            self.stats.poison_messages += 1
            raise
        owner, tenant = routing.owner, str(routing.tenant_id)
        frame = event_frame(seq, payload, trace_id)
        self.window.append(Entry(seq, owner, frame, tenant))
        self.stats.events_received += 1
        too_slow = []
        for targets in (self._by_owner.get(owner, ()), self._admins):
            for session in targets:
                if session.tenants is not None and tenant not in session.tenants:
                    continue
                if not session.deliver(seq, frame):
                    too_slow.append(session)
                elif session.half_full:
                    self.pressure = True
        for session in too_slow:
            self.stats.sessions_closed_slow += 1
            self.unregister(session)
            session.request_close(CLOSE_TOO_SLOW, "too slow: reconnect with after=<last seq>")

    def go_live(self, session: Session, cursor: int, pending: list[bytes]) -> None:
        """Switch a session from replay to live; `pending` are the last replayed frames."""
        if len(pending) > session.capacity:
            raise ValueError("pending frames exceed the session buffer")
        session.cursor = cursor
        session.queue.extend(pending)
        session.live = True
        if session.principal.is_admin:
            self._admins.add(session)
        else:
            self._by_owner.setdefault(session.principal.sub, set()).add(session)
        if pending:
            session.on_frame()

    def unregister(self, session: Session) -> None:
        if not session.live:
            return
        session.live = False
        self._admins.discard(session)
        owned = self._by_owner.get(session.principal.sub)
        if owned is not None:
            owned.discard(session)
            if not owned:
                del self._by_owner[session.principal.sub]
