"""W3C trace context for appended events: continue the caller's trace or start one."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TraceContext = tuple[str, str | None]  # (traceparent, tracestate)

_propagator = TraceContextTextMapPropagator()


def configure_tracing(otlp_endpoint: str | None) -> Callable[[], None]:
    """Export spans over OTLP when an endpoint is configured; returns the shutdown."""
    if not otlp_endpoint:
        return lambda: None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "tenant-api"}))
    provider.add_span_processor(BatchSpanProcessor(
        OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")))
    trace.set_tracer_provider(provider)
    return provider.shutdown


def outgoing_trace(request_headers: Mapping[str, str], name: str) -> TraceContext:
    """The context to put on a published message, as a child of the request's."""
    parent = _propagator.extract(dict(request_headers))
    span = trace.get_tracer("tenant_api").start_span(name, context=parent, kind=SpanKind.PRODUCER)
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    span.end()
    traceparent = carrier.get("traceparent")
    if not traceparent:
        # Tracing is off and the caller sent no context: still give the event a
        # valid one, so every message can be correlated.
        traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    return traceparent, carrier.get("tracestate")
