"""The one span exporter setup of every service: OTLP/HTTP to `<endpoint>/v1/traces`.

Imported only when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT set), so a service
without an endpoint loads no SDK and no exporter.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

_DB_SYSTEM = ("db.system", "db.system.name")  # the old and the new semantic conventions


class QueriesOnlyInATrace(Sampler):
    """Every span a parent's sampling allows, except a database query with no parent.

    The instrumented asyncpg driver makes a span of every query; the queries that
    run on their own (the projection following the stream, readiness checks, pool
    housekeeping) would each be a trace of one span. Inside a request's trace they
    are kept: that is where a query's time matters.
    """

    def __init__(self) -> None:
        self._inner = ParentBased(ALWAYS_ON)

    def should_sample(self, parent_context: Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Attributes = None,
                      links: Sequence[Link] | None = None,
                      trace_state: TraceState | None = None) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if not parent.is_valid and attributes and any(k in attributes for k in _DB_SYSTEM):
            return SamplingResult(Decision.DROP)
        return self._inner.should_sample(parent_context, trace_id, name, kind, attributes,
                                         links, trace_state)

    def get_description(self) -> str:
        return "QueriesOnlyInATrace"


def exporting_provider(service_name: str, otlp_endpoint: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}),
                              sampler=QueriesOnlyInATrace())
    # The batch processor reads the standard OTEL_BSP_* variables (delay, sizes).
    provider.add_span_processor(BatchSpanProcessor(
        OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")))
    return provider
