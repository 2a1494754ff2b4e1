"""Prometheus metrics of one app instance (own registry, so tests can build many apps)."""

from __future__ import annotations

import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from tenant_contracts.events import EventBase, event_type_name

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("api_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("api_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry)
        self.appended = Counter("api_events_appended", "events appended to the stream",
                                ["type"], registry=self.registry)
        self.projected_seq = Gauge("api_projection_applied_seq",
                                   "stream seq the read model reflects", registry=self.registry)
        # What the default registry would hold: process_* (memory, CPU, fds), python_gc_*,
        # python_info; the same set as the provisioner's and the notifier's.
        # The process-wide collectors themselves, not new ones: a GCCollector hooks
        # gc.callbacks, and tests build many apps in one process.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)

    def count_append(self, event: EventBase) -> None:
        self.appended.labels(event_type_name(event)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def measured(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500

            async def send_wrapper(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_wrapper)
            finally:
                # The route template, not the path, keeps the label set small.
                route = scope.get("path_template") or "unmatched"
                method = scope.get("method", "")
                self.requests.labels(method, route, str(status)).inc()
                self.latency.labels(method, route).observe(time.perf_counter() - started)

        return measured
