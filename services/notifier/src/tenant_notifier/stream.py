"""NATS adapters: the stream itself, the one feed every process reads, and replays.

The notifier never acks: both consumers are AckNone, because it only reads an
immutable log and keeps its own position (a restarted process starts anew from
the tail and clients resume with `after`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from tenant_contracts.stream import stream_config
from tenant_contracts.subjects import ALL_SUBJECTS, STREAM_NAME
from tenant_notifier.hub import Hub, Stats
from tenant_notifier.protocol import NotAnEvent, event_frame, owner_of
from tenant_notifier.window import EventWindow

log = logging.getLogger(__name__)

YIELD_EVERY = 64


async def ensure_stream(js: JetStreamContext, replicas: int) -> None:
    try:
        await js.stream_info(STREAM_NAME)
        return  # an existing stream is left as it is
    except NotFoundError:
        pass
    try:
        await js.add_stream(StreamConfig.from_response(stream_config(replicas)))
        log.info("created stream %s", STREAM_NAME)
    except BadRequestError:
        # Another service created it meanwhile (with a config of its own): that one stands.
        await js.stream_info(STREAM_NAME)


class StreamFeed:
    """One ordered push consumer over the whole stream, from a tail window on."""

    def __init__(self, js: JetStreamContext, hub: Hub) -> None:
        self._js = js
        self.hub = hub
        self._sub: JetStreamContext.PushSubscription | None = None
        self._since_yield = 0
        self._head_lookup: asyncio.Future[None] | None = None

    @classmethod
    async def start(cls, js: JetStreamContext, window: int, stats: Stats) -> StreamFeed:
        state = (await js.stream_info(STREAM_NAME)).state
        start = max(state.first_seq, state.last_seq - window + 1, 1)
        hub = Hub(EventWindow(window, floor=start - 1), stats, stream_last_seq=state.last_seq)
        feed = cls(js, hub)
        await feed._subscribe(start)
        log.info("reading %s from seq %d (head %d)", STREAM_NAME, start, state.last_seq)
        return feed

    async def _subscribe(self, start: int) -> None:
        # An ordered consumer re-creates itself at the next seq after a gap or a
        # missed heartbeat, so the hub sees every message once and in order.
        self._sub = await self._js.subscribe(
            ALL_SUBJECTS, stream=STREAM_NAME, cb=self._on_message, ordered_consumer=True,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            config=ConsumerConfig(opt_start_seq=start), idle_heartbeat=5.0,
        )

    async def resume(self) -> None:
        """After a reconnect: the server that held our in-memory consumer may be gone
        (restarted, or another cluster node), so start a new one right after the head
        rather than wait for missed heartbeats to tell."""
        old, self._sub = self._sub, None
        if old is not None:
            with contextlib.suppress(Exception):
                await old.unsubscribe()
        try:
            await self._subscribe(self.hub.window.head + 1)
            log.info("feed resumed after seq %d", self.hub.window.head)
        except Exception:
            # the ordered consumer's own heartbeat check is the fallback: keep the old one
            log.exception("feed not resumed; relying on heartbeats")
            self._sub = old

    async def _on_message(self, msg: Msg) -> None:
        meta = msg.metadata
        seq = meta.sequence.stream
        # seq + num_pending is the stream's last seq when this was delivered: the lag metric
        self.hub.stats.stream_last_seq = max(self.hub.stats.stream_last_seq,
                                             seq + meta.num_pending)
        try:
            self.hub.ingest(seq, msg.data)
        except NotAnEvent as exc:
            # A poison message must never stop the feed: skip it, say where it is.
            log.warning("skipping stream seq %d on %s: not an event (%s)", seq, msg.subject, exc)
        # Fan-out only queues frames; the writers send them. Give them the loop
        # during a burst, and at once when some queue fills up, so that a fast
        # client is never closed as slow just because the burst came in one read.
        self._since_yield += 1
        if self._since_yield >= YIELD_EVERY or self.hub.pressure:
            self._since_yield = 0
            self.hub.pressure = False
            await asyncio.sleep(0)

    async def refresh_stream_head(self) -> None:
        """Learn the stream's last seq now. Callers arriving while a lookup is in
        flight share it, so a burst of connects costs one request."""
        if self._head_lookup is None or self._head_lookup.done():
            self._head_lookup = asyncio.ensure_future(self._lookup_head())
        await asyncio.shield(self._head_lookup)

    async def _lookup_head(self) -> None:
        state = (await self._js.stream_info(STREAM_NAME)).state
        self.hub.stats.stream_last_seq = max(self.hub.stats.stream_last_seq, state.last_seq)

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None


class StreamReplay:
    """A session's own reader for history older than the window: an ephemeral pull
    consumer, fetched at the pace the client reads, deleted when done."""

    BATCH = 256

    def __init__(self, js: JetStreamContext, name: str, position: int,
                 sub: JetStreamContext.PullSubscription) -> None:
        self._js, self._name, self._sub = js, name, sub
        self.position = position  # the newest seq read so far

    @classmethod
    async def open(cls, js: JetStreamContext, after: int) -> StreamReplay:
        name = f"notifier-replay-{uuid.uuid4().hex}"
        await js.add_consumer(STREAM_NAME, ConsumerConfig(
            name=name, filter_subject=ALL_SUBJECTS, ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1,
            mem_storage=True, num_replicas=1,
            inactive_threshold=60.0,  # the server cleans up after a crashed notifier
        ))
        sub = await js.pull_subscribe_bind(consumer=name, stream=STREAM_NAME)
        return cls(js, name, after, sub)

    async def read(self, visible: Callable[[str], bool]) -> list[bytes]:
        """The next batch: frames of the visible events; advances `position`."""
        try:
            messages = await self._sub.fetch(self.BATCH, timeout=1.0)
        except TimeoutError:
            return []  # at the stream's end: the caller finds the window covers it now
        frames = []
        for msg in messages:
            seq = msg.metadata.sequence.stream
            if seq <= self.position:
                continue
            self.position = seq
            try:
                owner = owner_of(msg.data)
            except NotAnEvent:
                continue  # poison: the live feed logs it; a replay just passes it by
            if visible(owner):
                frames.append(event_frame(seq, msg.data))
        return frames

    async def close(self) -> None:
        try:
            await self._sub.unsubscribe()
            await self._js.delete_consumer(STREAM_NAME, self._name)
        except Exception as exc:  # inactive_threshold removes it anyway
            log.debug("replay consumer %s not deleted: %s", self._name, exc)
