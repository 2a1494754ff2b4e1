"""Spans of the notifier: one per event fanned out, a child of the event's traceparent.

One span per event, not per session: a fan-out to thousands of sessions is one
synchronous pass (hub.ingest) and the span times it. With no OTLP endpoint there
is no provider and `fanning_out` costs one null context; the frame's trace id
comes from the message header either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

_propagator = TraceContextTextMapPropagator()
_OFF: AbstractContextManager[object] = nullcontext()


class Tracing:
    def __init__(self, provider: TracerProvider | None = None) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("tenant_notifier") if provider else None

    @classmethod
    def exporting_to(cls, otlp_endpoint: str | None) -> Tracing:
        if not otlp_endpoint:
            return cls()
        from tenant_stream.traces import exporting_provider  # the SDK: only when on

        return cls(exporting_provider("tenant-notifier", otlp_endpoint))

    def fanning_out(self, seq: int, subject: str,
                    headers: Mapping[str, str] | None) -> AbstractContextManager[object]:
        """The span (current while it lasts) of fanning one stream message out."""
        if self._tracer is None:
            return _OFF
        return self._tracer.start_as_current_span(
            "fan out", context=_propagator.extract(headers or {}),
            kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "nats", "messaging.destination.name": subject,
                        "tenant.stream.seq": seq})

    def shutdown(self) -> None:
        """Flush the spans still queued; blocking, so call it once the loop is done."""
        if self._provider is not None:
            self._provider.shutdown()
