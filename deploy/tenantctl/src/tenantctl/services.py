"""Start the three services as separate processes and stop them cleanly.

Used by `tenantctl dev` and by the end-to-end tests, so both run the platform
exactly the same way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tenantctl.nats_auth import NatsCredentials
from tenantctl.ports import free_port
from tenantctl.spawn import interrupts_deferred

SERVICE_MODULES = {
    "api": "tenant_api",
    "provisioner": "tenant_provisioner",
    "notifier": "tenant_notifier",
    "mailer": "tenant_mailer",
}
# The services whose only HTTP port is for probes and metrics.
PROBE_PORT_SETTINGS = {"provisioner": "PROVISIONER_PORT", "mailer": "MAILER_PORT"}


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    log_file: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        if self.name in PROBE_PORT_SETTINGS:
            # Its /healthz, /readyz and /metrics: a free port unless one is given, so
            # that several of them run side by side.
            self.env.setdefault(PROBE_PORT_SETTINGS[self.name], str(free_port()))
        out = open(self.log_file, "ab") if self.log_file else None
        with interrupts_deferred():
            self.process = subprocess.Popen(
                [sys.executable, "-m", SERVICE_MODULES[self.name]],
                env=self.env, stdout=out, stderr=subprocess.STDOUT if out else None,
                start_new_session=True,  # Ctrl-C reaches tenantctl only; it stops us in order
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, grace: float = 15.0) -> int | None:
        if self.process is None:
            return None
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode


@dataclass
class PlatformConfig:
    nats_url: str
    database_url: str
    provisioner_database_url: str
    jwt_secret: str
    api_port: int
    notifier_port: int
    extra_env: Mapping[str, str] = field(default_factory=dict)
    nats_credentials: NatsCredentials | None = None  # None: a server without authorization
    nats_tls_ca: str | None = None

    def env(self, service: str) -> dict[str, str]:
        """The environment of `service`: its own NATS principal's credentials only."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NATS_")}
        if self.nats_credentials is not None:
            env.update(self.nats_credentials.env(service))
        if self.nats_tls_ca is not None:
            env["NATS_TLS_CA"] = self.nats_tls_ca
        env.update({
            "NATS_URL": self.nats_url,
            "DATABASE_URL": self.database_url,
            "PROVISIONER_DATABASE_URL": self.provisioner_database_url,
            "JWT_SECRET": self.jwt_secret,
            "API_PORT": str(self.api_port),
            "NOTIFIER_PORT": str(self.notifier_port),
            "NOTIFIER_PUBLIC_URL": f"ws://localhost:{self.notifier_port}/ws",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env


def wait_http_ok(url: str, timeout: float, process: ServiceProcess | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and not process.running:
            raise RuntimeError(f"{process.name} exited while starting (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            # The body says why (a /readyz problem names what it waits for).
            last = f"{exc}: {exc.read()[:500].decode(errors='replace')}"
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout}s: {last}")
