"""A tenant's history and guarded appends, with the answers a cluster makes hard.

History reads cannot miss an acknowledged event: the stream leader says which seq is
the tenant's last (a non-direct get, which only the leader answers), then the events
up to it are read in one batch from any replica (direct get), and read again, or from
the leader, when that replica is behind.

Appends have a definite outcome: a publish whose answer is lost is sent again with the
same Nats-Msg-Id until the deadline; JetStream checks the expected sequence before it
de-duplicates, so a resend of a stored event answers 10071, and the history then tells
whether our event is the one stored. Only when that cannot be told by the deadline is
the outcome unknown (`OutcomeUnknown`); an append refused every time is `NotStored`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError, NoStreamResponseError, NotFoundError

from tenant_contracts.codec import UndecodableEvent, decode_event, encode_event
from tenant_contracts.events import EventBase, TenantRequested
from tenant_contracts.history import History
from tenant_contracts.poison import poison_reason
from tenant_contracts.subjects import (
    STREAM_NAME,
    WRONG_LAST_SEQUENCE_ERR_CODE,
    append_headers,
    event_subject,
    tenant_filter,
)
from tenant_stream.head import stream_head

log = logging.getLogger(__name__)
T = TypeVar("T")

API = "$JS.API"
BATCH = 256
TRY_TIMEOUT_SECONDS = 2.0  # one publish or get; a lost answer is retried within the deadline
APPEND_DEADLINE_SECONDS = 10.0  # long enough to ride out a stream leader election
READ_DEADLINE_SECONDS = 10.0
BEHIND_RETRIES = 3  # direct reads from replicas that are behind, before asking the leader
# 503s that an election or a restart explains (no err_code: no leader answered;
# 10008: "JetStream system temporarily unavailable"); others, like "maximum messages
# exceeded", are refusals that waiting does not change.
TRANSIENT_ERR_CODES = (None, 10008)


class Conflict(Exception):
    """Someone else appended to the tenant since the history the append expected.
    `history` is the tenant's history read after the refusal, when it could be read."""

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


class OutcomeUnknown(Exception):
    """The deadline passed and nobody can tell yet whether the event was stored: a
    resend with the same event (same event_id, same expected seq) settles it."""


class NotStored(Exception):
    """The deadline passed and every try was refused: the event is not stored."""


class StreamUnavailable(Exception):
    """The stream did not answer a read by its deadline (no leader, or no stream)."""


@dataclass(frozen=True)
class StoredMessage:
    seq: int
    subject: str
    data: bytes
    headers: dict[str, str]


class EventLog:
    def __init__(self, nc: NatsClient, *, append_deadline: float = APPEND_DEADLINE_SECONDS,
                 read_deadline: float = READ_DEADLINE_SECONDS) -> None:
        self._nc = nc
        self._js = nc.jetstream(timeout=TRY_TIMEOUT_SECONDS)
        self.append_deadline = append_deadline
        self.read_deadline = read_deadline

    # -- reads ---------------------------------------------------------------

    async def head(self) -> int:
        return await stream_head(self._nc)

    async def history(self, tenant_id: uuid.UUID, *, at_least: int = 0,
                      deadline: float | None = None) -> History:
        """Every event of the tenant stored before this call, in stream order. With
        `at_least`, the history reaches at least that seq (a request just delivered)."""
        loop = asyncio.get_running_loop()
        until = deadline if deadline is not None else loop.time() + self.read_deadline
        last = max(await self._retrying(lambda: self._leader_last_seq(tenant_id), until),
                   at_least)
        messages: list[StoredMessage] = []
        behind = 0
        while last > 0 and (not messages or messages[-1].seq < last):
            start = messages[-1].seq + 1 if messages else 1
            if behind < BEHIND_RETRIES:
                got = await self._retrying(
                    functools.partial(self._direct_batch, tenant_id, start, last), until)
                if not got:
                    behind += 1  # this replica has not applied `last` yet: ask again
                    await asyncio.sleep(0.01 * behind)
                    continue
            else:
                got = [await self._retrying(
                    functools.partial(self._leader_next, tenant_id, start), until)]
            messages.extend(m for m in got if m.seq <= last)
        return as_history(tenant_id, messages)

    async def message(self, seq: int) -> StoredMessage:
        """One message by its stream seq, from the leader."""
        raw = await self._js.get_msg(STREAM_NAME, seq)
        assert raw.seq is not None
        return StoredMessage(raw.seq, raw.subject or "", raw.data or b"", dict(raw.headers or {}))

    async def _leader_last_seq(self, tenant_id: uuid.UUID) -> int:
        try:
            raw = await self._js.get_msg(STREAM_NAME, subject=tenant_filter(tenant_id))
        except NotFoundError:
            return 0
        return int(raw.seq or 0)

    async def _leader_next(self, tenant_id: uuid.UUID, start: int) -> StoredMessage:
        raw = await self._js.get_msg(STREAM_NAME, seq=start, subject=tenant_filter(tenant_id),
                                     next=True)
        assert raw.seq is not None
        return StoredMessage(raw.seq, raw.subject or "", raw.data or b"",
                             dict(raw.headers or {}))

    async def _direct_batch(self, tenant_id: uuid.UUID, start: int,
                            up_to: int) -> list[StoredMessage]:
        """A batch direct get (nats-server 2.11+): answered by any replica, so it may
        end before `up_to` when that replica is behind; the caller checks."""
        inbox = self._nc.new_inbox()
        sub = await self._nc.subscribe(inbox)
        request = {"seq": start, "next_by_subj": tenant_filter(tenant_id),
                   "batch": BATCH, "up_to_seq": up_to}
        try:
            await self._nc.publish(f"{API}.DIRECT.GET.{STREAM_NAME}",
                                   json.dumps(request).encode(), reply=inbox)
            found: list[StoredMessage] = []
            while True:
                msg = await sub.next_msg(timeout=TRY_TIMEOUT_SECONDS)
                headers = dict(msg.headers or {})
                status = headers.get("Status")
                if status == "204" or status == "404":
                    return found  # end of batch, or nothing (more) on the subject
                if status == "503":
                    raise NoRespondersError
                if status:
                    raise APIError(code=int(status), description=headers.get("Description"))
                found.append(StoredMessage(int(headers["Nats-Sequence"]),
                                           headers.get("Nats-Subject", ""), msg.data, headers))
        finally:
            await sub.unsubscribe()

    async def _retrying(self, read: Callable[[], Awaitable[T]], until: float) -> T:
        delay = 0.05
        loop = asyncio.get_running_loop()
        while True:
            try:
                return await read()
            except (NatsTimeoutError, NoRespondersError, NoStreamResponseError,
                    NatsError, APIError) as exc:
                if isinstance(exc, APIError) and exc.code not in (None, 408, 503):
                    raise  # a refusal (permissions, bad request): waiting will not help
                if loop.time() + delay > until:
                    raise StreamUnavailable(f"no answer from {STREAM_NAME}: {exc!r}") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)

    # -- appends -------------------------------------------------------------

    async def append(self, event: EventBase, expected_last_seq: int,
                     traceparent: str | None = None, tracestate: str | None = None, *,
                     deadline: float | None = None) -> int:
        """The stream seq of the stored event. Raises Conflict (the tenant moved on and
        our event is not stored), NotStored or OutcomeUnknown."""
        loop = asyncio.get_running_loop()
        until = deadline if deadline is not None else loop.time() + self.append_deadline
        headers = append_headers(event, expected_last_seq, traceparent, tracestate)
        subject, data = event_subject(event), encode_event(event)
        maybe_stored = False
        delay = 0.05
        while True:
            try:
                ack = await self._js.publish(
                    subject, data, stream=STREAM_NAME, headers=headers,
                    timeout=max(0.2, min(TRY_TIMEOUT_SECONDS, until - loop.time())))
                return int(ack.seq)
            except APIError as exc:
                if exc.err_code == WRONG_LAST_SEQUENCE_ERR_CODE:
                    return await self._settle_refusal(event, maybe_stored, until)
                if exc.code != 503 or exc.err_code not in TRANSIENT_ERR_CODES:
                    raise  # refused for good (permissions, limits, a bad header): not stored
                reason: Exception = exc  # no leader just now: not stored, try again
            except (NoStreamResponseError, NoRespondersError) as exc:
                reason = exc  # nobody took it (an election, a stream re-created): not stored
            except NatsError as exc:
                maybe_stored = True  # sent, and the answer lost: it may be stored
                reason = exc
            if loop.time() + delay > until:
                if maybe_stored:
                    stored = await self._find(event, until=loop.time() + 1.0)
                    if stored is not None:
                        return stored
                    raise OutcomeUnknown(f"{type(event).__name__} {event.event_id}: no "
                                         f"answer by the deadline ({reason!r})")
                raise NotStored(f"{type(event).__name__} {event.event_id}: {reason!r}")
            log.info("append of %s %s not answered (%r); sending again",
                     type(event).__name__, event.event_id, reason)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    async def _settle_refusal(self, event: EventBase, maybe_stored: bool, until: float) -> int:
        # 10071: the tenant's last seq is not the one we expected. Either an earlier
        # send of this very event was stored (its answer lost), or someone else appended.
        try:
            history = await self.history(event.tenant_id, deadline=max(
                until, asyncio.get_running_loop().time() + 1.0))
        except StreamUnavailable as exc:
            if maybe_stored:
                raise OutcomeUnknown(f"{event.event_id}: refused on resend, and the history "
                                     f"cannot be read to tell ({exc})") from exc
            raise Conflict(f"tenant {event.tenant_id} moved on") from exc
        stored = history.seq_of(event.event_id)
        if stored is not None:
            return stored
        raise Conflict(f"tenant {event.tenant_id} moved on", history)

    async def _find(self, event: EventBase, until: float) -> int | None:
        try:
            return (await self.history(event.tenant_id, deadline=until)).seq_of(event.event_id)
        except StreamUnavailable:
            return None


def as_history(tenant_id: uuid.UUID, messages: list[StoredMessage]) -> History:
    events: list[tuple[int, EventBase]] = []
    skipped: list[int] = []
    owner: str | None = None
    last_seq = 0
    for message in messages:
        last_seq = message.seq  # skipped or not, NATS counts it as the tenant's last
        try:
            event = decode_event(message.data)
        except UndecodableEvent as exc:
            # Hand-published, or an event type of a newer release: it says nothing we
            # understand about the tenant, but it still counts as its last seq.
            log.warning("skipping undecodable event seq=%s of tenant %s: %s",
                        message.seq, tenant_id, exc)
            skipped.append(message.seq)
            continue
        reason = poison_reason(message.subject, event, owner)
        if reason is not None:
            log.warning("skipping poison message seq=%s of tenant %s: %s", message.seq,
                        tenant_id, reason)
            skipped.append(message.seq)
            continue
        if owner is None and isinstance(event, TenantRequested):
            owner = event.owner
        events.append((message.seq, event))
    return History(events, last_seq, skipped)
