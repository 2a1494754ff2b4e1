"""Spans per handled request, and the trace context the appended events carry."""

from __future__ import annotations

import uuid

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tenant_contracts.events import TenantDeletionRequested, TenantRequested
from tenant_provisioner.request import Request
from tenant_provisioner.settings import Settings
from tenant_provisioner.tracing import Tracing, span_name, trace_id_of

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
PARENT = f"00-{TRACE_ID}-{PARENT_SPAN}-01"


def request(traceparent: str | None = PARENT, tracestate: str | None = "vendor=1") -> Request:
    event = TenantRequested(tenant_id=uuid.uuid4(), owner="a", actor="a", name="n",
                            slug="acme", plan="free", admin_email="a@b.c")
    return Request(seq=7, event=event, traceparent=traceparent, tracestate=tracestate)


def recording() -> tuple[Tracing, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Tracing(provider), exporter


def test_a_handled_request_is_a_consumer_span_under_the_request_message() -> None:
    tracing, exporter = recording()
    handled = request()
    with tracing.handling(handled, delivery=2):
        tracing.note(attempt=1, outcome="done")
        during, state = tracing.event_context(handled)
        with tracing.stage("migrating"):
            in_stage, _ = tracing.event_context(handled)
    stage, span = exporter.get_finished_spans()
    assert span.name == "provision tenant" and span.kind is SpanKind.CONSUMER
    assert span.parent is not None and f"{span.parent.span_id:016x}" == PARENT_SPAN
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert span.attributes == {
        "tenant.id": str(handled.tenant_id), "tenant.request.seq": 7,
        "tenant.request.type": "TenantRequested", "tenant.delivery": 2, "tenant.attempt": 1,
        "tenant.outcome": "done"}
    # The events name the span that appended them as their parent.
    assert during == f"00-{TRACE_ID}-{span.context.span_id:016x}-01" and state == "vendor=1"
    assert stage.name == "migrating" and stage.parent == span.context
    assert in_stage == f"00-{TRACE_ID}-{stage.context.span_id:016x}-01"


def test_a_request_without_trace_context_starts_a_trace_of_its_own() -> None:
    tracing, exporter = recording()
    with tracing.handling(request(traceparent=None, tracestate=None)):
        traceparent, state = tracing.event_context(request())
    (span,) = exporter.get_finished_spans()
    assert span.parent is None and state is None
    assert trace_id_of(traceparent) == f"{span.context.trace_id:032x}"


def test_without_an_endpoint_nothing_is_recorded_and_events_still_join_the_trace() -> None:
    tracing = Tracing.exporting_to(Settings.from_env({"PROVISIONER_DATABASE_URL": "u"})
                                   .otel_endpoint)
    handled = request()
    with tracing.handling(handled), tracing.stage("seeding"):
        tracing.note(attempt=1)
        first, state = tracing.event_context(handled)
        second, _ = tracing.event_context(handled)
    assert trace_id_of(first) == TRACE_ID and state == "vendor=1"
    assert len({first, second, PARENT}) == 3  # a fresh span id each, as before tracing
    tracing.shutdown()


def test_span_names_follow_the_request() -> None:
    deletion = TenantDeletionRequested(tenant_id=uuid.uuid4(), owner="a", actor="a")
    assert span_name(deletion) == "delete tenant"
    assert span_name(request().event) == "provision tenant"
