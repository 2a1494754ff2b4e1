"""Clients of the security tests: one per principal, recording what the server refused."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from tenant_contracts.subjects import STREAM_NAME
from tenantctl.nats_server import NatsServer
from tests.conftest import wait_until
from tests.integration.test_nats_cli_recipes import nats_cli

# A refused JetStream API request is dropped by the server: the client hears nothing
# back, so a short timeout keeps the refusals quick (the violation itself is recorded).
REFUSED_REQUEST_TIMEOUT = 1.0


@dataclass
class Principal:
    name: str
    nc: NatsClient
    violations: list[str] = field(default_factory=list)

    @classmethod
    async def connect(cls, server: NatsServer, name: str) -> Principal:
        principal = cls(name, nc=None)  # type: ignore[arg-type]

        async def on_error(error: Exception) -> None:
            principal.violations.append(str(error))

        principal.nc = await nats.connect(**server.connect_options(name), error_cb=on_error,
                                          allow_reconnect=False)
        return principal

    def js(self, timeout: float = REFUSED_REQUEST_TIMEOUT) -> JetStreamContext:
        return self.nc.jetstream(timeout=timeout)

    async def wait_refused(self, subject: str) -> None:
        """The server said this principal may not publish on `subject`."""
        wanted = f'permissions violation for publish to "{subject}"'.lower()
        await wait_until(lambda: any(wanted in v.lower() for v in self.violations), 5)

    async def close(self) -> None:
        await self.nc.close()


async def stored_on(admin_js: JetStreamContext, subject: str) -> bool:
    try:
        await admin_js.get_last_msg(STREAM_NAME, subject)
        return True
    except NotFoundError:
        return False


def fresh_subject(suffix: str) -> str:
    return f"tenants.{uuid.uuid4()}.{suffix}"


def run_cli(options: Sequence[str], *args: str,
            timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """The stock `nats` CLI with exactly these connection options (no context, no
    NATS_* from this environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NATS_")}
    env["NATS_CONTEXT"] = ""
    return subprocess.run([nats_cli(), *options, "--timeout", "2s", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)
