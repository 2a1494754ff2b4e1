"""Helpers for the notifier's integration tests: the process, real clients, appends."""

from __future__ import annotations

import asyncio
import json
import tempfile
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from nats.js import JetStreamContext

from tenant_contracts.codec import encode_event
from tenant_contracts.events import EventBase, TenantProgress, TenantRequested
from tenant_contracts.subjects import append_headers, event_subject
from tenantctl.nats_auth import NatsCredentials
from tenantctl.ports import free_port
from tenantctl.services import PlatformConfig, ServiceProcess, wait_http_ok
from tenantctl.tokens import mint_token
from tests.conftest import wait_until
from tests.e2e.harness import JWT_SECRET


def token(sub: str, *roles: str, ttl_seconds: int = 3600) -> str:
    return mint_token(JWT_SECRET, sub, roles, ttl_seconds)


# A real client waits a moment before reconnecting; so does the resuming client.
RECONNECT_BACKOFF_SECONDS = 0.1


@dataclass
class NotifierProcess:
    nats_url: str
    nats_credentials: NatsCredentials
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    log_file: Path = field(default_factory=lambda: Path(
        tempfile.mkstemp(prefix="notifier-", suffix=".log")[1]))
    service: ServiceProcess | None = None

    def start(self) -> NotifierProcess:
        config = PlatformConfig(
            nats_url=self.nats_url, database_url="unused", provisioner_database_url="unused",
            jwt_secret=JWT_SECRET, api_port=0, notifier_port=self.port, extra_env=self.env,
            nats_credentials=self.nats_credentials)
        self.service = ServiceProcess("notifier", config.env("notifier"),
                                      log_file=self.log_file).start()
        wait_http_ok(f"http://127.0.0.1:{self.port}/healthz", 30, self.service)
        return self

    def kill(self) -> None:
        assert self.service is not None
        self.service.kill()

    def stop(self) -> int | None:
        return self.service.stop() if self.service else None

    def url(self, sub_token: str | None, after: int | None = None) -> str:
        query = [f"access_token={sub_token}"] if sub_token else []
        if after is not None:
            query.append(f"after={after}")
        return f"ws://127.0.0.1:{self.port}/ws" + ("?" + "&".join(query) if query else "")

    def metrics(self) -> dict[str, float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")


class Client:
    """A real WebSocket client that collects frames in the background."""

    def __init__(self, url: str, **connect_options: Any) -> None:
        self.url, self.connect_options = url, connect_options
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = asyncio.Event()

    async def __aenter__(self) -> Client:
        self.socket = await websockets.connect(self.url, **self.connect_options)
        self._task = asyncio.create_task(self._collect())
        # A session without `after` gets what is appended after its welcome: wait for it
        # (or for the close, when the session is refused).
        await wait_until(lambda: self.frames or self.closed.is_set(), timeout=10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.socket.close()
        await self._task

    async def _collect(self) -> None:
        try:
            async for message in self.socket:
                self.frames.append(json.loads(message))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.socket.close_code
            self.close_reason = self.socket.close_reason or ""
            self.closed.set()

    def events(self, tenants: set[uuid.UUID] | None = None) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == "event"
                and (tenants is None or uuid.UUID(f["event"]["tenant_id"]) in tenants)]

    def seqs(self, tenants: set[uuid.UUID] | None = None) -> list[int]:
        return [f["seq"] for f in self.events(tenants)]

    async def wait_seq(self, seq: int, timeout: float = 15) -> None:
        await wait_until(lambda: any(f.get("seq") == seq for f in self.frames), timeout)

    async def wait_closed(self, timeout: float = 15) -> int | None:
        async with asyncio.timeout(timeout):
            await self.closed.wait()
        return self.close_code


class ResumingClient:
    """Reconnects with after=<last seq it received> whenever its session ends,
    as the SPA does; records every event frame it ever got."""

    def __init__(self, url_for: Callable[[int | None], str], after: int | None) -> None:
        self.url_for, self.after = url_for, after
        self.seqs: list[int] = []
        self.events: list[dict[str, Any]] = []
        self.sessions = 0
        self.welcomed = asyncio.Event()
        self._stopped = False

    async def run(self) -> None:
        while not self._stopped:
            try:
                async with websockets.connect(self.url_for(self.after), open_timeout=5) as ws:
                    self.sessions += 1
                    async for message in ws:
                        frame = json.loads(message)
                        if frame["type"] == "welcome":
                            self.welcomed.set()
                        elif frame["type"] == "event":
                            self.seqs.append(frame["seq"])
                            self.events.append(frame["event"])
                            self.after = frame["seq"]
            except (OSError, TimeoutError, websockets.InvalidHandshake,
                    websockets.ConnectionClosed):
                pass
            if not self._stopped:
                await asyncio.sleep(RECONNECT_BACKOFF_SECONDS)

    def stop(self) -> None:
        self._stopped = True


class Appender:
    """Appends events exactly as the services do (SPEC section 2 headers)."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js
        self.last: dict[uuid.UUID, int] = {}
        self.owners: dict[uuid.UUID, str] = {}

    async def append(self, event: EventBase) -> int:
        ack = await self.js.publish(
            event_subject(event), encode_event(event), stream="TENANTS",
            headers=append_headers(event, self.last.get(event.tenant_id, 0)))
        self.last[event.tenant_id] = ack.seq
        return ack.seq

    async def new_tenant(self, owner: str) -> tuple[uuid.UUID, int]:
        tenant_id = uuid.uuid4()
        self.owners[tenant_id] = owner
        seq = await self.append(TenantRequested(
            tenant_id=tenant_id, owner=owner, actor=owner, name="Acme",
            slug=f"t-{tenant_id.hex[:12]}", plan="free", admin_email="admin@acme.test"))
        return tenant_id, seq

    async def progress(self, tenant_id: uuid.UUID, percent: int = 50, message: str = "") -> int:
        return await self.append(TenantProgress(
            tenant_id=tenant_id, owner=self.owners[tenant_id], actor="system",
            stage="migrating", percent=percent, message=message))
