"""One trace from the client's traceparent through the api and the provisioner.

The api and the provisioner run as processes exporting to a small OTLP/HTTP
receiver in this test; the stream and the received spans must tell one story.
"""

from __future__ import annotations

import gzip
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import nats
import pytest
from nats.js.errors import NotFoundError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tenant_contracts.subjects import STREAM_NAME, tenant_filter
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tests.conftest import wait_until
from tests.e2e.harness import Platform


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]


class OtlpReceiver:
    """Collects what exporters POST to /v1/traces (OTLP/HTTP, protobuf)."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.paths: list[str] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                spans = list(_spans(body))
                with lock:
                    receiver.paths.append(self.path)
                    receiver.spans.extend(spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass  # the exporters' requests are the test's business, not stderr's

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def in_trace(self, trace_id: str) -> list[Span]:
        return [s for s in list(self.spans) if s.trace_id == trace_id]


def _spans(body: bytes) -> Iterator[Span]:
    request = ExportTraceServiceRequest.FromString(body)
    for resource_spans in request.resource_spans:
        service = next(a.value.string_value for a in resource_spans.resource.attributes
                       if a.key == "service.name")
        for scope in resource_spans.scope_spans:
            for span in scope.spans:
                yield Span(service=service, name=span.name, trace_id=span.trace_id.hex(),
                           span_id=span.span_id.hex(), parent_id=span.parent_span_id.hex(),
                           attributes={a.key: _value(a.value) for a in span.attributes})


def _value(value: Any) -> Any:
    return getattr(value, value.WhichOneof("value")) if value.WhichOneof("value") else None


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.fixture
def own_nats() -> Iterator[NatsServer]:
    # A nats-server (and, below, a read model) of its own: a second provisioner and
    # projection on the shared ones would take other tests' requests.
    with temporary_nats_server("tp-trace-nats-") as server:
        yield server


@pytest.fixture
def start_traced(receiver: OtlpReceiver, own_nats: NatsServer, fresh_database: str,
                 admin_database_url: str) -> Iterator[Callable[[int], Platform]]:
    """Starts the api and the provisioner exporting to `receiver`, batching for `delay_ms`."""
    started: list[Platform] = []

    def start(delay_ms: int) -> Platform:
        platform = Platform(nats_url=own_nats.url, database_url=fresh_database,
                            provisioner_database_url=admin_database_url,
                            extra_env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
                                       "OTEL_BSP_SCHEDULE_DELAY": str(delay_ms)})
        started.append(platform)
        return platform.start("api", "provisioner")

    yield start
    for platform in started:
        platform.stop()


async def create_active_tenant(platform: Platform, trace_id: str, client_span: str) -> str:
    auth = {"Authorization": f"Bearer {platform.token('tracy')}"}
    async with httpx.AsyncClient(base_url=platform.api_url, headers=auth) as http:
        created = await http.post(
            "/api/v1/tenants",
            json={"name": "Traced", "slug": f"tr-{secrets.token_hex(4)}",
                  "admin_email": "admin@traced.test"},
            headers={"traceparent": f"00-{trace_id}-{client_span}-01",
                     "tracestate": "client=1"})
        assert created.status_code == 202, created.text
        tenant_id: str = created.json()["id"]

        async def active() -> bool:
            shown = await http.get(f"/api/v1/tenants/{tenant_id}")
            return shown.status_code == 200 and shown.json()["status"] == "Active"

        await wait_until(active, timeout=15)
    return tenant_id


async def stream_headers(nc: nats.NATS, tenant_id: str) -> list[tuple[str, dict[str, str]]]:
    """(subject, headers) of each of the tenant's messages, in stream order."""
    js, found, seq = nc.jetstream(), [], 1
    while True:
        try:
            raw = await js.get_msg(STREAM_NAME, seq=seq, subject=tenant_filter(
                uuid.UUID(tenant_id)), next=True)
        except NotFoundError:
            return found
        assert raw.seq is not None and raw.subject is not None
        found.append((raw.subject, dict(raw.headers or {})))
        seq = raw.seq + 1


async def test_one_trace_runs_from_the_client_through_the_api_and_the_provisioner(
    start_traced: Callable[[int], Platform], receiver: OtlpReceiver
) -> None:
    platform = start_traced(100)  # batches leave within 100 ms
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    tenant_id = await create_active_tenant(platform, trace_id, client_span)

    nc = await nats.connect(platform.nats_url)
    try:
        messages = await stream_headers(nc, tenant_id)
    finally:
        await nc.close()
    assert [s.rsplit(".", 1)[1] for s, _ in messages] == [
        "requested", "provisioning", "progress", "progress", "progress", "progress", "active"]
    contexts = [h["traceparent"].split("-") for _, h in messages]
    assert {c[1] for c in contexts} == {trace_id}, "every event continues the client's trace"
    assert {h.get("tracestate") for _, h in messages} == {"client=1"}

    def handled() -> list[Span]:
        return [s for s in receiver.in_trace(trace_id) if s.service == "tenant-provisioner"
                and s.name == "provision tenant" and "tenant.outcome" in s.attributes]

    (provision,) = await wait_until(handled, timeout=10)
    # The stage spans end before the handling span, so they were exported with it or earlier.
    spans = {s.span_id: s for s in receiver.in_trace(trace_id)}
    assert set(receiver.paths) == {"/v1/traces"}

    (api_span,) = [s for s in spans.values() if s.service == "tenant-api"]
    assert api_span.parent_id == client_span
    assert contexts[0][2] == api_span.span_id  # the request message names the api's span

    def ancestors(span: Span) -> list[Span]:
        chain = []
        while span.parent_id in spans:
            span = spans[span.parent_id]
            chain.append(span)
        return chain

    assert ancestors(provision) == [api_span]
    assert provision.attributes == {
        "tenant.id": tenant_id, "tenant.request.seq": provision.attributes["tenant.request.seq"],
        "tenant.request.type": "TenantRequested", "tenant.delivery": 1,
        "tenant.plan": "Provision", "tenant.attempt": 1, "tenant.outcome": "done",
        "tenant.outcome.reason": provision.attributes["tenant.outcome.reason"]}
    stages = [s.name for s in spans.values() if s.parent_id == provision.span_id]
    assert sorted(stages) == sorted(["creating_database", "migrating", "seeding", "verifying"])

    # Each event the provisioner appended names its handling span, or a stage span
    # under it, as the parent.
    for _, _, parent_id, _ in contexts[1:]:
        parent = spans.get(parent_id)
        assert parent is not None, f"an event's parent {parent_id} is no exported span"
        assert provision in [parent, *ancestors(parent)]


async def test_spans_still_queued_at_sigterm_are_flushed_before_exit(
    start_traced: Callable[[int], Platform], receiver: OtlpReceiver
) -> None:
    platform = start_traced(600_000)  # a batch would wait ten minutes: only exit sends it
    trace_id = secrets.token_hex(16)
    await create_active_tenant(platform, trace_id, secrets.token_hex(8))
    assert receiver.in_trace(trace_id) == []

    platform.stop()  # SIGTERM each, and wait for the exits
    spans = receiver.in_trace(trace_id)
    assert {s.service for s in spans} == {"tenant-api", "tenant-provisioner"}
    assert "provision tenant" in {s.name for s in spans}
