"""One trace from the client's traceparent through the api, the provisioner and the
notifier, down to the frames on the owner's socket; and the three services' logs and
metrics, as an operator reads them.

The services run as processes exporting to a small OTLP/HTTP receiver in this
test; the stream, the frames and the received spans must tell one story.
"""

from __future__ import annotations

import gzip
import json
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
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from tenant_api.tracing import UNTRACED_PATHS
from tenant_contracts.subjects import STREAM_NAME, tenant_filter
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tests.conftest import wait_until
from tests.e2e.harness import Platform
from tests.e2e.ws_client import Watcher


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
                 admin_database_url: str) -> Iterator[Callable[..., Platform]]:
    """Starts the three services exporting to `receiver`, batching for `delay_ms`."""
    started: list[Platform] = []

    def start(delay_ms: int, log_level: str = "INFO") -> Platform:
        platform = Platform(nats_url=own_nats.url, nats_credentials=own_nats.auth,
                            database_url=fresh_database,
                            provisioner_database_url=admin_database_url,
                            extra_env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
                                       "OTEL_BSP_SCHEDULE_DELAY": str(delay_ms),
                                       "LOG_LEVEL": log_level})
        started.append(platform)
        return platform.start()

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


async def test_one_trace_runs_from_the_client_through_every_service_to_the_socket(
    start_traced: Callable[..., Platform], receiver: OtlpReceiver
) -> None:
    platform = start_traced(100)  # batches leave within 100 ms
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    async with Watcher(platform.ws_url, platform.token("tracy")) as socket:
        tenant_id = await create_active_tenant(platform, trace_id, client_span)
        await socket.wait_for(tenant_id, "TenantActive")
    frames = [f for f in socket.frames
              if f["type"] == "event" and f["event"]["tenant_id"] == tenant_id]
    assert [f.get("trace_id") for f in frames] == [trace_id] * 7, "each frame names the trace"

    nc = await nats.connect(**platform.nats_options())
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

    def fanned_out() -> list[Span]:
        return [s for s in receiver.in_trace(trace_id) if s.service == "tenant-notifier"]

    (provision,) = await wait_until(handled, timeout=10)
    await wait_until(lambda: len(fanned_out()) == len(messages), timeout=10)
    # The stage spans end before the handling span, so they were exported with it or earlier.
    spans = {s.span_id: s for s in receiver.in_trace(trace_id)}
    assert set(receiver.paths) == {"/v1/traces"}

    def ancestors(span: Span) -> list[Span]:
        chain = []
        while span.parent_id in spans:
            span = spans[span.parent_id]
            chain.append(span)
        return chain

    # The api: the HTTP server span (the ASGI instrumentation) under the client's span,
    # named by its route; under it the database queries and the publishing of the request.
    api_spans = [s for s in spans.values() if s.service == "tenant-api"]
    (server,) = [s for s in api_spans if s.parent_id == client_span]
    assert server.name == "POST /api/v1/tenants"
    assert server.attributes["http.route"] == "/api/v1/tenants"
    assert server.attributes["http.status_code"] == 202
    (publish,) = [s for s in api_spans if s.name == "TenantRequested"]
    assert publish.parent_id == server.span_id
    assert contexts[0][2] == publish.span_id  # the request message names the api's span
    api_queries = [s for s in api_spans if s.attributes.get("db.system") == "postgresql"]
    # The reservation (one call of reserve_create) and the settle (one WITH ... upsert).
    assert {"SELECT", "WITH"} <= {q.name for q in api_queries}, [q.name for q in api_queries]
    assert all(server in ancestors(q) for q in api_queries)

    assert ancestors(provision) == [publish, server]
    assert provision.attributes == {
        "tenant.id": tenant_id, "tenant.request.seq": provision.attributes["tenant.request.seq"],
        "tenant.request.type": "TenantRequested", "tenant.delivery": 1,
        "tenant.plan": "Provision", "tenant.attempt": 1, "tenant.outcome": "done",
        "tenant.outcome.reason": provision.attributes["tenant.outcome.reason"]}
    stages = [s.name for s in spans.values() if s.parent_id == provision.span_id
              and s.service == "tenant-provisioner" and s.attributes.get("db.system") is None]
    assert sorted(stages) == sorted(["creating_database", "migrating", "seeding", "verifying"])
    provisioner_queries = [s for s in spans.values() if s.service == "tenant-provisioner"
                           and s.attributes.get("db.system") == "postgresql"]
    assert provisioner_queries and all(provision in ancestors(q) for q in provisioner_queries)

    # Each event the provisioner appended names its handling span, or a stage span
    # under it, as the parent.
    for _, _, parent_id, _ in contexts[1:]:
        parent = spans.get(parent_id)
        assert parent is not None, f"an event's parent {parent_id} is no exported span"
        assert provision in [parent, *ancestors(parent)]

    # Server spans are named by route (tenant ids are in paths, never in names), and
    # the probes the harness polled are not traced at all.
    server_names = {s.name for s in receiver.spans if s.service == "tenant-api"
                    and "http.status_code" in s.attributes}
    assert "GET /api/v1/tenants/{tenant_id}" in server_names, server_names
    assert not {n for n in server_names if tenant_id in n or n.split()[-1] in UNTRACED_PATHS}

    # The notifier: one span per event fanned out, a child of the event's own context.
    fan_outs = sorted(fanned_out(), key=lambda s: s.attributes["tenant.stream.seq"])
    assert [s.name for s in fan_outs] == ["fan out"] * len(messages)
    assert [s.parent_id for s in fan_outs] == [c[2] for c in contexts]
    assert [s.attributes["tenant.stream.seq"] for s in fan_outs] == [f["seq"] for f in frames]


async def test_spans_still_queued_at_sigterm_are_flushed_before_exit(
    start_traced: Callable[..., Platform], receiver: OtlpReceiver
) -> None:
    platform = start_traced(600_000)  # a batch would wait ten minutes: only exit sends it
    trace_id = secrets.token_hex(16)
    await create_active_tenant(platform, trace_id, secrets.token_hex(8))
    assert receiver.in_trace(trace_id) == []

    platform.stop()  # SIGTERM each, and wait for the exits
    spans = receiver.in_trace(trace_id)
    assert {s.service for s in spans} == {"tenant-api", "tenant-provisioner", "tenant-notifier"}
    assert "provision tenant" in {s.name for s in spans}


SERVICES = ("api", "provisioner", "notifier")
PROCESS_METRICS = {"process_resident_memory_bytes", "process_cpu_seconds", "process_open_fds",
                   "python_info", "python_gc_collections"}
SERVICE_METRICS = {
    "api": {"api_http_requests", "api_http_request_duration_seconds", "api_events_appended",
            "api_projection_applied_seq"},
    "provisioner": {"provisioner_requests", "provisioner_attempts", "provisioner_stage_seconds",
                    "provisioner_consumer_pending", "provisioner_consumer_ack_pending",
                    "provisioner_consumer_redelivered"},
    "notifier": {"notifier_sessions_open", "notifier_frames_sent", "notifier_stream_lag_messages",
                 "notifier_events"},
}


def base_urls(platform: Platform) -> dict[str, str]:
    provisioner_port = platform.services["provisioner"].env["PROVISIONER_PORT"]
    return {"api": platform.api_url, "provisioner": f"http://127.0.0.1:{provisioner_port}",
            "notifier": f"http://127.0.0.1:{platform.notifier_port}"}


async def test_every_service_answers_probes_and_serves_its_metrics(
    start_traced: Callable[..., Platform]
) -> None:
    platform = start_traced(100)
    tenant_id = await create_active_tenant(platform, secrets.token_hex(16), secrets.token_hex(8))
    scraped: dict[str, dict[str, Metric]] = {}
    async with httpx.AsyncClient() as http:
        for name, url in base_urls(platform).items():
            for probe in ("/healthz", "/readyz"):
                answer = await http.get(url + probe)
                assert answer.status_code == 200, (name, probe, answer.text)
            answer = await http.get(url + "/metrics")
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/plain")
            scraped[name] = {m.name: m for m in text_string_to_metric_families(answer.text)}
    for name in SERVICES:
        missing = (PROCESS_METRICS | SERVICE_METRICS[name]) - scraped[name].keys()
        assert not missing, f"{name} lacks {missing}"

    def value(service: str, metric: str, sample: str, **labels: str) -> float:
        return sum(s.value for s in scraped[service][metric].samples
                   if s.name == sample and labels.items() <= s.labels.items())

    provisioner = scraped["provisioner"]
    assert provisioner["provisioner_stage_seconds"].type == "histogram"
    assert value("provisioner", "provisioner_requests", "provisioner_requests_total",
                 outcome="done") >= 1
    assert value("provisioner", "provisioner_attempts", "provisioner_attempts_total") >= 1
    for stage in ("creating_database", "migrating", "seeding", "verifying"):
        assert value("provisioner", "provisioner_stage_seconds",
                     "provisioner_stage_seconds_count", stage=stage) >= 1
    assert value("api", "api_events_appended", "api_events_appended_total",
                 type="TenantRequested") >= 1
    assert value("notifier", "notifier_events", "notifier_events_total") >= 7
    assert value("api", "process_resident_memory_bytes", "process_resident_memory_bytes") > 0
    assert tenant_id


async def test_every_log_line_of_the_three_services_is_a_json_object(
    start_traced: Callable[..., Platform]
) -> None:
    # DEBUG: the most lines, and the libraries' own (websockets logs only at DEBUG).
    platform = start_traced(100, "DEBUG")
    trace_id = secrets.token_hex(16)
    async with Watcher(platform.ws_url, platform.token("tracy")):
        await create_active_tenant(platform, trace_id, secrets.token_hex(8))
    platform.stop()  # the shutdown lines too

    records: dict[str, list[dict[str, Any]]] = {}
    for name in SERVICES:
        lines = platform.log(name).splitlines()
        assert lines, f"{name} logged nothing"
        records[name] = []
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except ValueError:
                pytest.fail(f"{name}.log line {number} is not JSON: {line!r}")
            assert isinstance(record, dict)
            assert {"ts", "level", "logger", "message"} <= record.keys(), line
            records[name].append(record)

    loggers = {name: {r["logger"] for r in found} for name, found in records.items()}
    # uvicorn's own lines are JSON too (its access log is off: requests are metrics and spans).
    assert "uvicorn.error" in loggers["api"], loggers["api"]
    assert any(logger.startswith("websockets") for logger in loggers["notifier"]), loggers
    # Lines written inside a span carry its trace: the provisioner's, handling this request.
    traced = [r for r in records["provisioner"] if r.get("trace_id") == trace_id]
    assert traced and all(len(r["span_id"]) == 16 for r in traced), records["provisioner"]
    # This test is about the log itself: the handler is synchronous so that the last
    # lines before an exit are not lost in a queue (docs/architecture.md, Observability).
    # Each service's last line on its way out is how to see that, hence its wording here.
    assert any(r["message"].startswith("api stopped") for r in records["api"])
    assert any(r["message"] == "provisioner stopped" for r in records["provisioner"])
