"""The mailer as real processes, a real SMTP server, and the events that make mail."""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from nats.js import JetStreamContext

from tenant_contracts.codec import encode_event
from tenant_contracts.events import EventBase, TenantActive, TenantFailed, TenantRequested
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenantctl.services import ServiceProcess
from tests.conftest import wait_until

ADMIN = "admin@acme.test"


@dataclass
class MailerProcess:
    nats_env: dict[str, str]  # NATS_URL and the mailer principal's credentials
    smtp_url: str
    env: dict[str, str] = field(default_factory=dict)
    log_file: Path = field(default_factory=lambda: Path(
        tempfile.mkstemp(prefix="mailer-", suffix=".log")[1]))
    service: ServiceProcess | None = None

    def start(self) -> MailerProcess:
        env = dict(os.environ) | self.nats_env | {
            "SMTP_URL": self.smtp_url, "PYTHONUNBUFFERED": "1",
            # short, so that a crash's redelivery and an SMTP outage's retries are quick
            "MAILER_ACK_WAIT_SECONDS": "3", "MAILER_BACKOFF_SECONDS": "0.2,0.5,1",
            "MAILER_PRESENCE_WAIT_SECONDS": "0.5"} | self.env
        self.service = ServiceProcess("mailer", env, log_file=self.log_file).start()
        return self

    def kill(self) -> None:
        assert self.service is not None
        self.service.kill()

    def stop(self) -> int | None:
        return self.service.stop() if self.service else None

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")


class Events:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js
        self.last: dict[uuid.UUID, int] = {}
        self.owners: dict[uuid.UUID, str] = {}

    async def append(self, event: EventBase) -> int:
        ack = await self.js.publish(
            event_subject(event), encode_event(event), stream=STREAM_NAME,
            headers=append_headers(event, self.last.get(event.tenant_id, 0)))
        self.last[event.tenant_id] = ack.seq
        return ack.seq

    async def requested(self, owner: str, owner_email: str | None, name: str = "Acme"
                        ) -> uuid.UUID:
        tenant_id = uuid.uuid4()
        self.owners[tenant_id] = owner
        await self.append(TenantRequested(
            tenant_id=tenant_id, owner=owner, actor=owner, name=name,
            slug=f"t-{tenant_id.hex[:12]}", plan="free", admin_email=ADMIN,
            owner_email=owner_email))
        return tenant_id

    async def active(self, tenant_id: uuid.UUID) -> int:
        return await self.append(TenantActive(
            tenant_id=tenant_id, owner=self.owners[tenant_id], actor="system",
            database=f"tenant_{tenant_id.hex[:12]}"))

    async def failed(self, tenant_id: uuid.UUID) -> int:
        return await self.append(TenantFailed(
            tenant_id=tenant_id, owner=self.owners[tenant_id], actor="system",
            error="disk full", attempts=3))


async def consumer_ready(js: JetStreamContext, name: str = "mailer") -> None:
    async def exists() -> bool:
        try:
            await js.consumer_info(STREAM_NAME, name)
            return True
        except Exception:
            return False

    await wait_until(exists, 30)


async def drained(js: JetStreamContext, name: str = "mailer", timeout: float = 30) -> None:
    """Until the mailer acked everything it was given (no pending, none unacked)."""
    async def done() -> bool:
        info = await js.consumer_info(STREAM_NAME, name)
        return info.num_pending == 0 and info.num_ack_pending == 0

    await wait_until(done, timeout)
