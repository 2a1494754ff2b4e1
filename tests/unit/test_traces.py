"""The sampler every service's provider uses: database queries only inside a trace."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tenant_stream.traces import QueriesOnlyInATrace


def test_a_query_is_recorded_inside_a_trace_and_dropped_on_its_own() -> None:
    exported = InMemorySpanExporter()
    provider = TracerProvider(sampler=QueriesOnlyInATrace())
    provider.add_span_processor(SimpleSpanProcessor(exported))
    tracer = provider.get_tracer("test")
    query = {"db.system": "postgresql"}

    with tracer.start_as_current_span("lone", kind=SpanKind.CLIENT, attributes=query):
        pass
    with tracer.start_as_current_span("lone, new conventions", kind=SpanKind.CLIENT,
                                      attributes={"db.system.name": "postgresql"}):
        pass
    with tracer.start_as_current_span("POST /api/v1/tenants", kind=SpanKind.SERVER):
        with tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT, attributes=query):
            pass
    with tracer.start_as_current_span("fan out", kind=SpanKind.CONSUMER):
        pass

    assert sorted(s.name for s in exported.get_finished_spans()) == [
        "INSERT", "POST /api/v1/tenants", "fan out"]
