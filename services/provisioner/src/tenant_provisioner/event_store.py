"""The TENANTS stream as the provisioner's only store: read a tenant's history, append."""

from __future__ import annotations

import logging
import uuid

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
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
from tenant_provisioner.ledger import History

log = logging.getLogger(__name__)

_STREAM_NAME_IN_USE = 10058
_FETCH_BATCH = 256


class Conflict(Exception):
    """Someone appended to the tenant after the history we decided on."""


class EventStore:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def ensure_stream(self, replicas: int) -> None:
        try:
            await self._js.stream_info(STREAM_NAME)
            return  # an existing stream is left as it is
        except NotFoundError:
            pass
        try:
            await self._js.add_stream(StreamConfig.from_response(stream_config(replicas)))
        except APIError as exc:
            if exc.err_code != _STREAM_NAME_IN_USE:  # another service created it first
                raise

    async def history(self, tenant_id: uuid.UUID) -> History:
        """The tenant's events in stream order, as of now."""
        info = await self._js.add_consumer(STREAM_NAME, ConsumerConfig(
            filter_subject=tenant_filter(tenant_id), deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.NONE, mem_storage=True, inactive_threshold=30.0,
            num_replicas=1,
        ))
        sub = await self._js.pull_subscribe_bind(consumer=info.name, stream=STREAM_NAME)
        events: list[tuple[int, EventBase]] = []
        last_seq = 0
        try:
            remaining = info.num_pending or 0
            while remaining > 0:
                for msg in await sub.fetch(min(remaining, _FETCH_BATCH), timeout=5):
                    remaining -= 1
                    seq = msg.metadata.sequence.stream
                    last_seq = seq  # skipped or not, NATS counts it as the tenant's last
                    try:
                        event = decode_event(msg.data)
                    except UndecodableEvent as exc:
                        # A poison message in the history: it was terminated when
                        # consumed; it says nothing about the tenant's state.
                        log.warning("skipping undecodable event seq=%s: %s", seq, exc)
                        continue
                    if event.tenant_id != tenant_id:
                        # Published on this tenant's subject by mistake: not its event.
                        log.warning("skipping seq=%s: an event of tenant %s on tenant %s's "
                                    "subject", seq, event.tenant_id, tenant_id)
                        continue
                    events.append((seq, event))
        finally:
            await sub.unsubscribe()
            try:
                await self._js.delete_consumer(STREAM_NAME, info.name)
            except (APIError, NotFoundError):
                pass  # inactive_threshold removes it anyway
        return History(events, last_seq)

    async def append(self, event: EventBase, expected_last_seq: int,
                     traceparent: str | None = None, tracestate: str | None = None) -> int:
        headers = append_headers(event, expected_last_seq, traceparent, tracestate)
        try:
            ack = await self._js.publish(event_subject(event), encode_event(event),
                                         stream=STREAM_NAME, headers=headers, timeout=5)
        except APIError as exc:
            if exc.err_code == WRONG_LAST_SEQUENCE_ERR_CODE:
                raise Conflict(f"tenant {event.tenant_id} moved past seq {expected_last_seq}")\
                    from exc
            raise
        return ack.seq

    async def message(self, seq: int) -> tuple[str, bytes, dict[str, str]]:
        raw = await self._js.get_msg(STREAM_NAME, seq)
        return raw.subject or "", raw.data or b"", dict(raw.headers or {})
