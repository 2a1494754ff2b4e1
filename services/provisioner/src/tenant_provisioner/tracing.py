"""W3C trace context: every event the provisioner appends continues the request's trace.

With an OTLP endpoint, each handled request is a span (a child of the request
message's traceparent) and the events appended meanwhile name that span (or one of
its stage spans) as their parent. Without one, nothing is recorded: events carry a
fresh span id in the request's trace, as they always did.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from tenant_contracts.events import (
    EventBase,
    TenantDeletionRequested,
    TenantRetryRequested,
    TenantUpdateRequested,
)
from tenant_provisioner.request import Request

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_propagator = TraceContextTextMapPropagator()

Attribute = str | int | float | bool


def child_traceparent(parent: str | None) -> str:
    """A new span in the parent's trace, or the root of a new trace when there is none."""
    match = _TRACEPARENT.match(parent or "")
    trace_id, flags = (match.group(1), match.group(3)) if match else (secrets.token_hex(16), "01")
    if trace_id == "0" * 32:  # an all-zero trace id is invalid by the spec
        trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def trace_id_of(traceparent: str) -> str:
    match = _TRACEPARENT.match(traceparent)
    return match.group(1) if match else ""


def span_name(request: EventBase) -> str:
    match request:
        case TenantUpdateRequested():
            return "update tenant"
        case TenantDeletionRequested():
            return "delete tenant"
        case TenantRetryRequested():
            return "retry tenant"
        case _:
            return "provision tenant"


class Tracing:
    """Spans for handled requests when a provider is given; otherwise only propagation."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("tenant_provisioner") if provider else None

    @classmethod
    def exporting_to(cls, otlp_endpoint: str | None) -> Tracing:
        if not otlp_endpoint:
            return cls()
        # Imported only when tracing is on: no SDK, no exporter, no cost otherwise.
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        from tenant_stream.traces import exporting_provider

        provider = exporting_provider("tenant-provisioner", otlp_endpoint)
        # A span per query, a child of the handling or stage span it runs in.
        AsyncPGInstrumentor().instrument(tracer_provider=provider)
        return cls(provider)

    def shutdown(self) -> None:
        """Flush the spans still queued; blocking, so call it once the loop is done."""
        if self._provider is not None:
            self._provider.shutdown()

    @contextmanager
    def handling(self, request: Request, name: str | None = None,
                 **attributes: Attribute) -> Iterator[None]:
        if self._tracer is None:
            yield
            return
        carrier = {"traceparent": request.traceparent or "",
                   "tracestate": request.tracestate or ""}
        with self._tracer.start_as_current_span(
            name or span_name(request.event), context=_propagator.extract(carrier),
            kind=SpanKind.CONSUMER,
            attributes=_named(id=str(request.tenant_id), request_seq=request.seq,
                              request_type=type(request.event).__name__, **attributes),
        ):
            yield

    @contextmanager
    def stage(self, stage: str) -> Iterator[None]:
        if self._tracer is None:
            yield
            return
        with self._tracer.start_as_current_span(stage, attributes={"tenant.stage": stage}):
            yield

    def note(self, **attributes: Attribute) -> None:
        """Attributes for the span being handled now."""
        if self._tracer is not None:
            trace.get_current_span().set_attributes(_named(**attributes))

    def event_context(self, request: Request) -> tuple[str, str | None]:
        """(traceparent, tracestate) for an event appended while handling `request`."""
        if self._tracer is not None:
            carrier: dict[str, str] = {}
            _propagator.inject(carrier)  # the current span: the handling or a stage span
            if "traceparent" in carrier:
                return carrier["traceparent"], carrier.get("tracestate")
        return child_traceparent(request.traceparent), request.tracestate


def _named(**attributes: Attribute) -> dict[str, Attribute]:
    # request_seq=7 becomes tenant.request.seq: one namespace for all our attributes.
    return {f"tenant.{key.replace('_', '.')}": value for key, value in attributes.items()}
