"""Prometheus metrics, read from the hub's plain counters at scrape time
(no per-frame metric calls on the hot path)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tenant_notifier.hub import Hub


class _HubCollector(Collector):
    def __init__(self, hub: Hub, open_sessions: Callable[[], int],
                 feed_reopens: Callable[[], int]) -> None:
        self._hub, self._open_sessions, self._feed_reopens = hub, open_sessions, feed_reopens

    def collect(self) -> Iterator[Metric]:
        stats = self._hub.stats
        yield GaugeMetricFamily("notifier_sessions_open", "WebSocket sessions open",
                                value=self._open_sessions())
        yield CounterMetricFamily("notifier_frames_sent", "Event frames sent to sessions",
                                  value=stats.frames_sent)
        yield CounterMetricFamily("notifier_sessions_closed_slow",
                                  "Sessions closed with 4008 because their buffer overflowed",
                                  value=stats.sessions_closed_slow)
        yield GaugeMetricFamily("notifier_stream_lag_messages", "Stream messages not yet read",
                                value=self._hub.lag)
        yield CounterMetricFamily("notifier_events", "Events read from the stream",
                                  value=stats.events_received)
        yield CounterMetricFamily("notifier_poison_messages",
                                  "Stream messages skipped as not events",
                                  value=stats.poison_messages)
        yield CounterMetricFamily("notifier_stream_replays",
                                  "Resumes that read the stream (older than the window)",
                                  value=stats.stream_replays)
        yield CounterMetricFamily("notifier_feed_reopens",
                                  "Times the stream feed's consumer was re-created (after a "
                                  "reconnect, a gap or missed heartbeats)",
                                  value=self._feed_reopens())
        yield GaugeMetricFamily("notifier_window_events", "Recent events kept for resuming",
                                value=len(self._hub.window))


class Metrics:
    def __init__(self, hub: Hub, open_sessions: Callable[[], int],
                 feed_reopens: Callable[[], int] = lambda: 0) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_HubCollector(hub, open_sessions, feed_reopens))
        # process_* (resident memory, CPU, open fds), python_gc_*, python_info: the same
        # set as the api's and the provisioner's (the default registry's).
        # The process-wide collectors themselves, not new ones: a GCCollector hooks
        # gc.callbacks, and tests build many apps in one process.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)
