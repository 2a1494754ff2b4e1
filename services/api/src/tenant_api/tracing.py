"""Tracing of the api: HTTP server spans (the ASGI instrumentation, through Litestar's
OpenTelemetry plugin), a span per database query (the asyncpg instrumentation) and
the W3C trace context of every appended event, continuing the caller's trace."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar.plugins import PluginProtocol
from litestar.types import ASGIApp, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TraceContext = tuple[str, str | None]  # (traceparent, tracestate)

_propagator = TraceContextTextMapPropagator()

# Probes and scrapes every few seconds would bury the requests that matter.
UNTRACED_PATHS = ["/healthz", "/readyz", "/metrics"]


@dataclass(frozen=True)
class Tracing:
    plugins: list[PluginProtocol] = field(default_factory=list)
    middleware: list[Callable[[ASGIApp], ASGIApp]] = field(default_factory=list)
    shutdown: Callable[[], None] = lambda: None


def configure_tracing(otlp_endpoint: str | None) -> Tracing:
    """Export spans over OTLP when an endpoint is configured; otherwise nothing is added."""
    if not otlp_endpoint:
        return Tracing()
    # Imported only when tracing is on: no SDK, no exporter, no cost otherwise.
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    from tenant_stream.traces import exporting_provider

    provider = exporting_provider("tenant-api", otlp_endpoint)
    trace.set_tracer_provider(provider)  # once per process: the app is built once by main()
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        scope_span_details_extractor=_method_only,
        exclude=[f"^{path}$" for path in UNTRACED_PATHS],
        exclude_spans=["receive", "send"],  # one server span per request, no ASGI internals
    )
    return Tracing(plugins=[OpenTelemetryPlugin(config)], middleware=[_name_by_route],
                   shutdown=provider.shutdown)


def _method_only(scope: Scope) -> tuple[str, dict[str, Any]]:
    # The span starts before routing: named by the method until the route is known
    # (the path holds tenant ids; a name per path would never aggregate).
    return str(scope.get("method", "HTTP")), {}


def _name_by_route(app: ASGIApp) -> ASGIApp:
    """Names the server span `METHOD /route/{template}` once Litestar has routed."""

    async def named(scope: Scope, receive: Receive, send: Send) -> None:
        template = scope.get("path_template")
        if scope["type"] == "http" and template:
            span = trace.get_current_span()
            span.update_name(f"{scope.get('method', '')} {template}")
            span.set_attribute("http.route", template)
        await app(scope, receive, send)

    return named


def outgoing_trace(request_headers: Mapping[str, str], name: str) -> TraceContext:
    """The context to put on a published message: a producer span under the request's
    server span (tracing on), or the caller's context as it came (tracing off)."""
    current = trace.get_current_span().get_span_context()
    parent = None if current.is_valid else _propagator.extract(dict(request_headers))
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
