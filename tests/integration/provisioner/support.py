"""Helpers for the provisioner's integration tests: real processes, real servers.

The tests read and append events with plain nats-py (not the provisioner's own
event store), so that they check the provisioner against the contract.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import nats.js.errors
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from tenant_contracts.codec import UndecodableEvent, decode_event, encode_event
from tenant_contracts.events import (
    EventBase,
    TenantCancelRequested,
    TenantChanges,
    TenantDeletionRequested,
    TenantRequested,
    TenantRetryRequested,
    TenantUpdateRequested,
    event_type_name,
)
from tenant_contracts.subjects import (
    STREAM_NAME,
    WRONG_LAST_SEQUENCE_ERR_CODE,
    append_headers,
    event_subject,
    tenant_filter,
)
from tenantctl.nats_auth import NatsCredentials
from tenantctl.services import ServiceProcess
from tests.conftest import wait_until

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
FAST = {"PROVISIONER_BACKOFF_SECONDS": "0.2,0.5", "PROVISIONER_ACK_WAIT_SECONDS": "30"}


@dataclass
class Provisioners:
    """Provisioner processes started by a test and stopped by its fixture."""

    nats_url: str
    nats_credentials: NatsCredentials | None
    database_url: str
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="prov-logs-")))
    running: list[ServiceProcess] = field(default_factory=list)

    def start(self, database_url: str | None = None, **env: str) -> ServiceProcess:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("NATS_")}
        if self.nats_credentials is not None:
            environment.update(self.nats_credentials.env("provisioner"))
        environment.update({
            "NATS_URL": self.nats_url,
            "PROVISIONER_DATABASE_URL": database_url or self.database_url,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
            **FAST,
            **env,
        })
        log = self.log_dir / f"provisioner-{len(self.running)}.log"
        process = ServiceProcess("provisioner", environment, log_file=log).start()
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.running:
            process.stop(grace=15)

    def metrics(self, process: ServiceProcess) -> dict[str, float]:
        """The process's Prometheus samples, by name with labels."""
        port = process.env["PROVISIONER_PORT"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
        return {name: float(value) for name, _, value in
                (line.rpartition(" ") for line in text.splitlines())
                if name and not name.startswith("#")}

    def each_log(self) -> list[str]:
        return [p.read_text(errors="replace") for p in sorted(self.log_dir.iterdir())]


def new_slug() -> str:
    return f"t-{secrets.token_hex(4)}"


async def history(js: JetStreamContext, tenant_id: uuid.UUID,
                  readable_only: bool = False) -> list[tuple[int, EventBase]]:
    """The tenant's events in stream order; `readable_only` leaves out what does not
    decode or is another tenant's event (otherwise such a message fails the test)."""
    events: list[tuple[int, EventBase]] = []
    seq = 1
    while True:
        try:
            raw = await js.get_msg(STREAM_NAME, seq=seq, subject=tenant_filter(tenant_id),
                                   next=True)
        except NotFoundError:
            return events
        assert raw.seq is not None and raw.data is not None
        seq = raw.seq + 1
        try:
            event = decode_event(raw.data)
        except UndecodableEvent:
            if readable_only:
                continue
            raise
        if not readable_only or event.tenant_id == tenant_id:
            events.append((raw.seq, event))


async def types(js: JetStreamContext, tenant_id: uuid.UUID,
                readable_only: bool = False) -> list[str]:
    return [event_type_name(e) for _, e in await history(js, tenant_id, readable_only)]


async def append(js: JetStreamContext, event: EventBase, expected: int,
                 traceparent: str | None = TRACEPARENT) -> int:
    ack = await js.publish(event_subject(event), encode_event(event), stream=STREAM_NAME,
                           headers=append_headers(event, expected, traceparent))
    return ack.seq


async def request_tenant(js: JetStreamContext, slug: str | None = None,
                         owner: str = "alice") -> TenantRequested:
    slug = slug or new_slug()
    event = TenantRequested(tenant_id=uuid.uuid4(), owner=owner, actor=owner,
                            name=f"Tenant {slug}", slug=slug, plan="free",
                            admin_email=f"admin@{slug}.example")
    await append(js, event, expected=0)
    return event


async def append_request(js: JetStreamContext, tenant: TenantRequested, kind: str,
                         changes: Mapping[str, str] | None = None) -> EventBase:
    """Append a follow-up request after the tenant's last event, as the api does."""
    common = {"tenant_id": tenant.tenant_id, "owner": tenant.owner, "actor": tenant.owner}
    event: EventBase
    if kind == "update":
        event = TenantUpdateRequested(changes=TenantChanges(**(changes or {})), **common)
    elif kind == "retry":
        event = TenantRetryRequested(**common)
    elif kind == "cancel":
        event = TenantCancelRequested(**common)
    else:
        event = TenantDeletionRequested(**common)
    while True:  # the provisioner may append meanwhile: then after its event, as the api does
        last = (await history(js, tenant.tenant_id))[-1][0]
        try:
            await append(js, event, expected=last)
            return event
        except nats.js.errors.BadRequestError as exc:
            if exc.err_code != WRONG_LAST_SEQUENCE_ERR_CODE:
                raise


async def wait_for_type(js: JetStreamContext, tenant_id: uuid.UUID, type_name: str,
                        count: int = 1, timeout: float = 30.0) -> list[str]:
    async def reached() -> list[str] | None:
        seen = await types(js, tenant_id)
        return seen if seen.count(type_name) >= count else None

    result: list[str] = await wait_until(reached, timeout=timeout, interval=0.1)
    return result


async def wait_for_stage(js: JetStreamContext, tenant_id: uuid.UUID, stage: str,
                         timeout: float = 30.0) -> None:
    async def reached() -> bool:
        return any(getattr(e, "stage", None) == stage for _, e in await history(js, tenant_id))

    await wait_until(reached, timeout=timeout, interval=0.05)


async def scalar(url: str, query: str, *args: object) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def stream_exists(js: JetStreamContext) -> bool:
    try:
        await js.stream_info(STREAM_NAME)
        return True
    except NotFoundError:
        return False


async def wait_consumer_idle(js: JetStreamContext, consumer: str = "provisioner",
                             timeout: float = 30.0) -> None:
    """Every request delivered and acked or terminated: nothing more can happen."""
    async def idle() -> bool:
        try:
            info = await js.consumer_info(STREAM_NAME, consumer)
        except NotFoundError:
            return False  # not made yet by a provisioner just started: nothing delivered
        return info.num_pending == 0 and info.num_ack_pending == 0

    await wait_until(idle, timeout=timeout, interval=0.1)


def database_of(tenant: TenantRequested) -> str:
    return "tenant_" + tenant.slug.replace("-", "_")


async def leftovers(admin_url: str, tenant: TenantRequested) -> tuple[int, int]:
    """How many databases and roles of the tenant's name exist."""
    name = database_of(tenant)
    return (int(await scalar(admin_url, "SELECT count(*) FROM pg_database WHERE datname = $1",
                             name) or 0),
            int(await scalar(admin_url, "SELECT count(*) FROM pg_roles WHERE rolname = $1",
                             name) or 0))
