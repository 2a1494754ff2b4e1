"""The TENANTS stream as the api uses it: a tenant's history, guarded appends, the head."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import APIError, NotFoundError

from tenant_contracts.codec import UndecodableEvent, decode_event, encode_event
from tenant_contracts.events import EventBase
from tenant_contracts.stream import stream_config
from tenant_contracts.subjects import (
    STREAM_NAME,
    WRONG_LAST_SEQUENCE_ERR_CODE,
    append_headers,
    event_subject,
    tenant_filter,
)

log = logging.getLogger(__name__)
PUBLISH_ATTEMPTS = 3


class WrongLastSequence(Exception):
    """Someone appended to the tenant since its history was read."""


@dataclass(frozen=True)
class StreamHistory:
    events: list[tuple[int, EventBase]]
    # The seq of the tenant's last message, read or skipped as unreadable: NATS counts
    # every message for Nats-Expected-Last-Subject-Sequence, so appends expect this one.
    last_seq: int


class EventStore:
    def __init__(self, js: JetStreamContext, timeout: float = 5.0) -> None:
        self._js = js
        self._timeout = timeout

    async def ensure_stream(self, replicas: int) -> None:
        try:
            await self._js.stream_info(STREAM_NAME)
        except NotFoundError:
            # Create if missing; an existing stream is left as its operator configured it.
            await self._js.add_stream(StreamConfig.from_response(stream_config(replicas)))

    async def head(self) -> int:
        info = await self._js.stream_info(STREAM_NAME)
        return int(info.state.last_seq)

    async def history(self, tenant_id: uuid.UUID) -> StreamHistory:
        """The tenant's events in stream order, read message by message (direct get)."""
        events: list[tuple[int, EventBase]] = []
        seq = 1
        last_seq = 0
        while True:
            try:
                msg = await self._js.get_msg(STREAM_NAME, seq=seq, subject=tenant_filter(tenant_id),
                                             next=True, direct=True)
            except NotFoundError:
                return StreamHistory(events, last_seq)
            assert msg.seq is not None
            last_seq = msg.seq
            try:
                events.append((msg.seq, decode_event(msg.data or b"")))
            except UndecodableEvent:
                # Hand-published, or an event type of a newer release: it says nothing
                # we understand about the tenant, but it still counts as its last seq.
                log.warning("skipping undecodable message seq=%s of tenant %s", msg.seq, tenant_id)
            seq = msg.seq + 1

    async def append(self, event: EventBase, expected_last_seq: int,
                     traceparent: str | None = None, tracestate: str | None = None) -> int:
        headers = append_headers(event, expected_last_seq, traceparent, tracestate)
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                ack = await self._js.publish(event_subject(event), encode_event(event),
                                             stream=STREAM_NAME, headers=headers,
                                             timeout=self._timeout)
                return int(ack.seq)
            except APIError as exc:
                if exc.err_code == WRONG_LAST_SEQUENCE_ERR_CODE:
                    raise WrongLastSequence(str(exc)) from None
                raise
            except NatsTimeoutError:
                # The ack may be lost while the message was stored: resending the same
                # Nats-Msg-Id is de-duplicated by the stream and returns the first seq.
                if attempt == PUBLISH_ATTEMPTS:
                    raise
                log.warning("publish of %s timed out; resending (attempt %d)",
                            event.event_id, attempt + 1)
        raise AssertionError("unreachable")
