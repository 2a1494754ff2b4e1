"""The whole platform as real processes, for end-to-end and browser tests."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantctl.nats_auth import NatsCredentials
from tenantctl.ports import free_port
from tenantctl.services import PlatformConfig, ServiceProcess, wait_http_ok
from tenantctl.tokens import mint_token

JWT_SECRET = "test-secret-that-is-long-enough-for-hs256!"


@dataclass
class Platform:
    nats_url: str
    nats_credentials: NatsCredentials | None  # the server's (auth is always on in tests)
    database_url: str
    provisioner_database_url: str
    extra_env: Mapping[str, str] = field(default_factory=dict)
    api_port: int = field(default_factory=free_port)
    notifier_port: int = field(default_factory=free_port)
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tp-logs-")))
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.notifier_port}/ws"

    def config(self) -> PlatformConfig:
        return PlatformConfig(
            nats_url=self.nats_url, database_url=self.database_url,
            provisioner_database_url=self.provisioner_database_url, jwt_secret=JWT_SECRET,
            api_port=self.api_port, notifier_port=self.notifier_port,
            nats_credentials=self.nats_credentials,
            extra_env={"NOTIFIER_PUBLIC_URL": self.ws_url, "DEV_TOKENS": "1",
                       # generous: a test about the limits gives its own in extra_env
                       "TENANT_QUOTA_PER_USER": "1000", "RATE_LIMIT_CREATES_PER_MINUTE": "1000",
                       **self.extra_env},
        )

    def nats_options(self, principal: str = "admin") -> dict[str, Any]:
        """nats.connect keyword arguments for a test's own client."""
        assert self.nats_credentials is not None
        return {"servers": [self.nats_url], "user": principal,
                "password": self.nats_credentials.password(principal)}

    def start(self, *names: str) -> Platform:
        for name in names or ("api", "provisioner", "notifier"):
            self.services[name] = ServiceProcess(
                name, self.config().env(name), log_file=self.log_dir / f"{name}.log").start()
        self.wait_ready(*(names or ("api", "provisioner", "notifier")))
        return self

    def wait_ready(self, *names: str) -> None:
        if "api" in names:
            wait_http_ok(f"{self.api_url}/readyz", 60, self.services["api"])
        if "notifier" in names:
            wait_http_ok(f"http://127.0.0.1:{self.notifier_port}/healthz", 60,
                         self.services["notifier"])

    def restart(self, name: str, kill: bool = False) -> None:
        service = self.services[name]
        service.kill() if kill else service.stop()
        self.start(name)

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    @staticmethod
    def token(sub: str, *roles: str, ttl_seconds: int = 3600) -> str:
        return mint_token(JWT_SECRET, sub, roles, ttl_seconds)
