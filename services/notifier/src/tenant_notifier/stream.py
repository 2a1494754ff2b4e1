"""NATS adapters: the hub's feed of the whole stream, and per-session replays.

The notifier never acks: both consumers are AckNone, because it only reads an
immutable log and keeps its own position (a restarted process starts anew from
the tail and clients resume with `after`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from tenant_contracts.subjects import ALL_SUBJECTS, STREAM_NAME
from tenant_notifier.hub import Hub, Stats
from tenant_notifier.protocol import NotAnEvent, Routing, event_frame, trace_id_of
from tenant_notifier.tracing import Tracing
from tenant_notifier.window import EventWindow
from tenant_stream.feed import OrderedFeed
from tenant_stream.head import stream_head

log = logging.getLogger(__name__)

YIELD_EVERY = 64


class StreamFeed:
    """The hub fed by the one ordered feed over the whole stream, from a tail window on.
    The feed re-creates its consumer after a gap, silence or the loss of its node, so
    the hub never goes quiet for good; `problem` says why it is not following."""

    def __init__(self, nc: NatsClient, hub: Hub, start: int, tracing: Tracing) -> None:
        self._nc = nc
        self.hub = hub
        self._tracing = tracing
        self.feed = OrderedFeed(nc, self._on_message, position=start - 1, name="notifier feed")
        self._since_yield = 0

    @classmethod
    async def start(cls, nc: NatsClient, window: int, stats: Stats,
                    tracing: Tracing | None = None) -> StreamFeed:
        state = (await nc.jetstream().stream_info(STREAM_NAME)).state
        start = max(state.first_seq, state.last_seq - window + 1, 1)
        hub = Hub(EventWindow(window, floor=start - 1), stats, stream_last_seq=state.last_seq)
        feed = cls(nc, hub, start, tracing or Tracing())
        feed.feed.start()
        log.info("reading %s from seq %d (head %d)", STREAM_NAME, start, state.last_seq)
        return feed

    @property
    def problem(self) -> str | None:
        return self.feed.problem

    def resume(self, why: str) -> None:
        """After a reconnect (or a re-created stream): the node that held our consumer
        may be gone, so follow anew right after the last seq handled."""
        self.feed.restart(why)

    async def _on_message(self, seq: int, msg: Msg) -> None:
        meta = msg.metadata
        # seq + num_pending is the stream's last seq when this was delivered: the lag metric
        self.hub.stats.stream_last_seq = max(self.hub.stats.stream_last_seq,
                                             seq + meta.num_pending)
        with self._tracing.fanning_out(seq, msg.subject, msg.headers):
            try:
                self.hub.ingest(seq, msg.subject, msg.data, trace_id_of(msg.headers))
            except NotAnEvent as exc:
                # A poison message must never stop the feed: skip it, say where it is.
                log.warning("skipping stream seq %d on %s: not an event (%s)",
                            seq, msg.subject, exc)
        # Fan-out only queues frames; the writers send them. Give them the loop
        # during a burst, and at once when some queue fills up, so that a fast
        # client is never closed as slow just because the burst came in one read.
        self._since_yield += 1
        if self._since_yield >= YIELD_EVERY or self.hub.pressure:
            self._since_yield = 0
            self.hub.pressure = False
            await asyncio.sleep(0)

    async def refresh_stream_head(self) -> None:
        """Learn the stream's last seq now: one request. Concurrent callers share one
        through bootstrap's SharedCall, the only place that shares it."""
        self.hub.stats.stream_last_seq = max(self.hub.stats.stream_last_seq,
                                             await stream_head(self._nc))

    async def stop(self) -> None:
        await self.feed.stop()


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
        # Unnamed (the server names it): the notifier may create only such consumers.
        info = await js.add_consumer(STREAM_NAME, ConsumerConfig(
            filter_subject=ALL_SUBJECTS, ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1,
            mem_storage=True, num_replicas=1,
            inactive_threshold=60.0,  # the server cleans up after a crashed notifier
        ))
        sub = await js.pull_subscribe_bind(consumer=info.name, stream=STREAM_NAME)
        return cls(js, info.name, after, sub)

    async def read(self, visible: Callable[[str, str], bool],
                   routing_of: Callable[[str, bytes], Routing]) -> list[bytes]:
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
                routing = routing_of(msg.subject, msg.data)  # Hub.routing_of: poison checks
            except NotAnEvent:
                continue  # poison: the live feed logs it; a replay just passes it by
            if visible(routing.owner, str(routing.tenant_id)):
                frames.append(event_frame(seq, msg.data, trace_id_of(msg.headers)))
        return frames

    async def close(self) -> None:
        # Not deleted (the notifier may not delete consumers): once no pull is pending,
        # the server removes it after inactive_threshold.
        try:
            await self._sub.unsubscribe()
        except Exception as exc:
            log.debug("replay consumer %s not unsubscribed: %s", self._name, exc)
