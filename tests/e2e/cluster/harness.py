"""The platform on a local three-node JetStream cluster: R3, two replicas of each
service, steady POST load, resuming WebSocket clients, and the checks that every
fault must leave true."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import nats
import websockets
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig, DeliverPolicy

from tenant_contracts.codec import decode_event
from tenant_contracts.events import EventBase, TenantActive, TenantFailed, TenantRequested
from tenant_contracts.subjects import ALL_SUBJECTS, STREAM_NAME
from tenant_contracts.tenant import Tenant, fold
from tenantctl.nats_server import NatsCluster, NatsServer
from tenantctl.ports import free_port
from tenantctl.services import PlatformConfig, ServiceProcess, wait_http_ok
from tests.conftest import wait_until
from tests.e2e.harness import JWT_SECRET, Platform

SERVICES = ("api", "provisioner", "notifier")
TERMINAL = (TenantActive, TenantFailed)


class Endpoints(Protocol):
    """Where the load and the sockets reach the platform, and who they say they are:
    the replicas of the local cluster, or a Kubernetes Service each."""

    def api_urls(self) -> list[str]: ...

    def socket_urls(self) -> list[str]: ...

    def token(self, user: str, *roles: str) -> str: ...


@dataclass
class Replica:
    name: str
    process: ServiceProcess
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class ClusterPlatform:
    cluster: NatsCluster
    database_url: str
    provisioner_database_url: str
    log_dir: Path
    replicas: list[Replica] = field(default_factory=list)

    def start(self) -> ClusterPlatform:
        for index in (1, 2):
            ports = {name: free_port() for name in SERVICES}
            config = PlatformConfig(
                nats_url=self.cluster.url, nats_credentials=self.cluster.auth,
                database_url=self.database_url,
                provisioner_database_url=self.provisioner_database_url, jwt_secret=JWT_SECRET,
                api_port=ports["api"], notifier_port=ports["notifier"],
                extra_env={"STREAM_REPLICAS": "3", "PROVISIONER_PORT": str(ports["provisioner"]),
                           "PROVISIONER_BACKOFF_SECONDS": "0.5,1,2,4",
                           "NOTIFIER_PING_INTERVAL_SECONDS": "2",
                           # the load is about faults, not about the owners' limits
                           "TENANT_QUOTA_PER_USER": "100000",
                           "RATE_LIMIT_CREATES_PER_MINUTE": "100000"})
            for name in SERVICES:
                process = ServiceProcess(name, config.env(name),
                                         log_file=self.log_dir / f"{name}-{index}.log").start()
                self.replicas.append(Replica(f"{name}-{index}", process, ports[name]))
        for replica in self.replicas:
            wait_http_ok(f"{replica.url}/readyz", 90, replica.process)
        return self

    def of(self, service: str) -> list[Replica]:
        return [r for r in self.replicas if r.name.startswith(service)]

    def api_urls(self) -> list[str]:
        return [r.url for r in self.of("api")]

    def socket_urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{r.port}/ws" for r in self.of("notifier")]

    def token(self, user: str, *roles: str) -> str:
        return Platform.token(user, *roles)

    def stop(self) -> None:
        for replica in self.replicas:
            replica.process.stop()

    def all_ready(self) -> bool:
        for replica in self.replicas:
            try:
                with httpx.Client(timeout=2) as client:
                    if client.get(f"{replica.url}/readyz").status_code != 200:
                        return False
            except httpx.HTTPError:
                return False
        return True

    def log(self, replica: str) -> str:
        return (self.log_dir / f"{replica}.log").read_text(errors="replace")


def stream_leader(cluster: NatsCluster) -> NatsServer:
    for node in cluster.nodes:
        if not node.running:
            continue
        with contextlib.suppress(OSError, ValueError):
            jsz: Any = node.monitor("/jsz?streams=true")
            for account in jsz.get("account_details", []):
                for stream in account.get("stream_detail", []):
                    if stream["name"] == STREAM_NAME and stream.get("cluster", {}).get("leader"):
                        return cluster.node(stream["cluster"]["leader"])
    raise AssertionError("no stream leader")


def busiest_node(cluster: NatsCluster) -> NatsServer:
    """The node a notifier is connected to (so that its feed must move), and of those
    the one with the most of the services' connections."""
    scores: dict[str, tuple[int, int]] = {}
    for node in cluster.nodes:
        if node.running:
            with contextlib.suppress(OSError, ValueError):
                connz: Any = node.monitor("/connz?limit=1000")
                names = [str(c.get("name", "")) for c in connz.get("connections", [])]
                scores[node.name] = (names.count("tenant-notifier"),
                                     sum(n.startswith("tenant-") for n in names))
    return cluster.node(max(scores, key=lambda name: scores[name]))


@dataclass
class Outcome:
    key: str
    user: str
    codes: list[int] = field(default_factory=list)
    tenant_id: str | None = None


@dataclass
class Load:
    """POSTs at a steady rate, each with its own Idempotency-Key; a 503 is retried with
    the same key and body until it answers 202 (what every client should do)."""

    platform: Endpoints
    users: list[str]
    rate: float = 2.0
    outcomes: list[Outcome] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _inflight: set[asyncio.Task[None]] = field(default_factory=set)

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        await asyncio.gather(*self._inflight)

    async def _run(self) -> None:
        apis = self.platform.api_urls()
        n = 0
        while not self._stop.is_set():
            n += 1
            # In turn: each user's creates stay few (the owners' quota and rate limit).
            outcome = Outcome(key=uuid.uuid4().hex, user=self.users[n % len(self.users)])
            self.outcomes.append(outcome)
            task = asyncio.create_task(self._create(outcome, apis, n))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1 / self.rate):
                    await self._stop.wait()

    async def _create(self, outcome: Outcome, apis: list[str], n: int) -> None:
        body = {"name": "Load", "slug": f"l-{outcome.key[:20]}", "admin_email": "a@load.test"}
        headers = {"Authorization": f"Bearer {self.platform.token(outcome.user)}",
                   "Idempotency-Key": outcome.key}
        deadline = time.monotonic() + 90
        attempt = 0
        async with httpx.AsyncClient(timeout=30) as client:
            while time.monotonic() < deadline:
                api = apis[(n + attempt) % len(apis)]  # a retry may land on the other replica
                attempt += 1
                try:
                    response = await client.post(f"{api}/api/v1/tenants", json=body,
                                                 headers=headers)
                except httpx.HTTPError:
                    outcome.codes.append(0)  # no answer: retry with the same key
                    await asyncio.sleep(0.5)  # a client's back-off, not a wait for a state
                    continue
                outcome.codes.append(response.status_code)
                if response.status_code == 202:
                    outcome.tenant_id = response.json()["id"]
                    return
                if response.status_code != 503:
                    return
                await asyncio.sleep(0.5)  # Retry-After, as a client honours it

    def codes(self) -> Counter[int]:
        return Counter(code for o in self.outcomes for code in o.codes)


@dataclass
class ResumingClient:
    """A browser-like WebSocket client: on any close it reconnects (to either notifier)
    with `after` = the last seq it received, as the SPA does."""

    platform: Endpoints
    user: str
    admin: bool
    start_after: int
    seqs: list[int] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    reconnects: int = 0
    lags: list[float] = field(default_factory=list)  # receipt - occurred_at, per frame
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def last(self) -> int:
        return self.seqs[-1] if self.seqs else self.start_after

    async def _run(self) -> None:
        roles = ("admin",) if self.admin else ()
        n = random.randrange(2)
        while True:
            notifiers = self.platform.socket_urls()
            n += 1
            url = (f"{notifiers[n % len(notifiers)]}?access_token="
                   f"{self.platform.token(self.user, *roles)}&after={self.last}")
            try:
                async with websockets.connect(url, open_timeout=5) as socket:
                    async for message in socket:
                        frame = json.loads(message)
                        if frame["type"] == "event":
                            self.seqs.append(frame["seq"])
                            self.events.append(frame["event"])
                            occurred = datetime.fromisoformat(frame["event"]["occurred_at"])
                            self.lags.append((datetime.now(UTC) - occurred).total_seconds())
            except (OSError, websockets.WebSocketException, TimeoutError):
                pass
            self.reconnects += 1
            await asyncio.sleep(0.2)  # the SPA's reconnect back-off


async def admin_connection(cluster: NatsCluster) -> NatsClient:
    return await nats.connect(**cluster.connect_options("admin"), max_reconnect_attempts=-1,
                              reconnect_time_wait=0.2)


async def read_stream(nc: NatsClient) -> list[tuple[int, EventBase]]:
    """Every event in the stream, in order (an ordered consumer from seq 1)."""
    js = nc.jetstream()
    head = (await js.stream_info(STREAM_NAME)).state.last_seq
    events: list[tuple[int, EventBase]] = []
    if head == 0:
        return events
    sub = await js.subscribe(ALL_SUBJECTS, stream=STREAM_NAME, ordered_consumer=True,
                             deliver_policy=DeliverPolicy.ALL,
                             config=ConsumerConfig(mem_storage=True))
    try:
        while not events or events[-1][0] < head:
            msg = await sub.next_msg(timeout=10)
            events.append((msg.metadata.sequence.stream, decode_event(msg.data)))
    finally:
        await sub.unsubscribe()
    return events


def by_tenant(events: list[tuple[int, EventBase]]) -> dict[str, list[tuple[int, EventBase]]]:
    tenants: dict[str, list[tuple[int, EventBase]]] = {}
    for seq, event in events:
        tenants.setdefault(str(event.tenant_id), []).append((seq, event))
    return tenants


async def wait_settled(nc: NatsClient, load: Load, timeout: float = 120) -> None:
    """Every stored request has its terminal event."""
    async def settled() -> bool:
        tenants = by_tenant(await read_stream(nc))
        return all(any(isinstance(e, TERMINAL) for _, e in history)
                   for history in tenants.values())

    await wait_until(settled, timeout=timeout, interval=1.0)


@dataclass
class Report:
    requests: int
    codes: dict[int, int]
    tenants: int
    events: int
    frames: int


async def check_invariants(nc: NatsClient, platform: Endpoints, load: Load,
                           clients: list[ResumingClient]) -> Report:
    events = await read_stream(nc)
    tenants = by_tenant(events)

    # No event appended twice.
    ids = Counter(e.event_id for _, e in events)
    assert not [i for i, n in ids.items() if n > 1], "an event was stored twice"

    # Every stored TenantRequested has exactly one terminal event.
    for tenant_id, history in tenants.items():
        kinds = Counter(type(e).__name__ for _, e in history)
        assert kinds["TenantRequested"] == 1, (tenant_id, kinds)
        assert kinds["TenantActive"] + kinds["TenantFailed"] == 1, (tenant_id, kinds)

    # No 500; every request ended 202 (a 503 was followed by a retry that answered
    # 202); no ghost: every tenant in the stream is one a client was told about.
    codes = load.codes()
    assert set(codes) <= {202, 503, 0}, codes
    unfinished = [o for o in load.outcomes if o.tenant_id is None]
    assert not unfinished, unfinished[:3]
    told = Counter(o.tenant_id for o in load.outcomes)
    assert all(n == 1 for n in told.values()), "two requests were told the same tenant"
    requested = {str(e.tenant_id) for _, e in events if isinstance(e, TenantRequested)
                 and e.owner in load.users}
    assert requested == set(told), (requested ^ set(told))

    # The read model equals the fold of the stream (both api replicas share it).
    folded = {tid: fold(history) for tid, history in tenants.items()}
    await wait_until(lambda: _read_model_matches(platform, folded), timeout=30, interval=0.5)

    # Every socket received every visible event exactly once, in order.
    head = events[-1][0] if events else 0
    for client in clients:
        target = _last_visible(events, client)
        await wait_until(lambda c=client, t=target: c.last >= t,  # type: ignore[misc]
                         timeout=30, interval=0.2)
        expected = [seq for seq, e in events if seq > client.start_after
                    and (client.admin or e.owner == client.user)]
        assert client.seqs == expected, (client.user, _diff(client.seqs, expected))
    return Report(requests=len(load.outcomes), codes=dict(codes), tenants=len(tenants),
                  events=head, frames=sum(len(c.seqs) for c in clients))


def _last_visible(events: list[tuple[int, EventBase]], client: ResumingClient) -> int:
    visible = [seq for seq, e in events if client.admin or e.owner == client.user]
    return visible[-1] if visible else client.start_after


def _diff(got: list[int], expected: list[int]) -> str:
    missing = sorted(set(expected) - set(got))
    dupes = [s for s, n in Counter(got).items() if n > 1]
    return f"missing {missing[:10]} ({len(missing)}), duplicates {dupes[:10]}, " \
           f"in order {got == sorted(got)}"


async def _read_model_matches(platform: Endpoints, folded: dict[str, Tenant | None]) -> bool:
    headers = {"Authorization": f"Bearer {platform.token('ops', 'admin')}"}
    rows: dict[str, dict[str, Any]] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        cursor = None
        while True:
            params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            page = (await client.get(f"{platform.api_urls()[0]}/api/v1/tenants",
                                     params=params, headers=headers)).json()
            rows.update({t["id"]: t for t in page["items"]})
            cursor = page["next_cursor"]
            if not cursor:
                break
    for tenant_id, tenant in folded.items():
        row = rows.get(tenant_id)
        if tenant is None or row is None or row["status"] != tenant.status \
                or row["version"] != tenant.version:
            return False
    return True
