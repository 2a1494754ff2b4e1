"""Helpers for the api's integration tests: an in-process app, tokens, provisioner events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import nats
from litestar import Litestar

from tenant_api.app import create_app
from tenant_api.limits import Limits
from tenant_api.runtime import Runtime
from tenant_api.settings import JwtSettings, Settings
from tenant_contracts.events import EventBase
from tenant_stream.connection import NatsSettings, parse_servers
from tenant_stream.event_log import EventLog
from tenantctl.tokens import mint_token
from tests.conftest import JWT_SECRET, wait_until


def nats_settings(nats_url: str) -> NatsSettings:
    return NatsSettings(servers=parse_servers(nats_url))


def settings(nats_url: str, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url, "nats": nats_settings(nats_url),
        "jwt": JwtSettings(secret=JWT_SECRET, algorithms=("HS256",)),
        # Most tests are about other rules and create freely; test_limits sets its own.
        "limits": Limits(quota_per_user=1000, creates_per_minute=1000),
    }
    values.update(overrides)
    return Settings(**values)


def auth(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(JWT_SECRET, sub, roles)}"}


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def new_slug() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def create_body(slug: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {"name": "Acme", "slug": slug or new_slug(), "admin_email": "admin@acme.example",
            **overrides}


@dataclass
class Api:
    app: Litestar
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime  # type: ignore[no-any-return]

    async def create(self, user: str, **body: Any) -> dict[str, Any]:
        response = await self.client.post("/api/v1/tenants", json=create_body(**body),
                                          headers=auth(user))
        assert response.status_code == 202, response.text
        return response.json()  # type: ignore[no-any-return]

    async def get(self, user: str, tenant_id: str, *roles: str) -> httpx.Response:
        return await self.client.get(f"/api/v1/tenants/{tenant_id}", headers=auth(user, *roles))

    async def wait_projected(self, timeout: float = 10.0) -> int:
        """Until the read model has applied the stream's head; returns that seq."""
        runtime = self.runtime
        assert runtime.nc is not None and runtime.pool is not None
        head = await EventLog(runtime.nc).head()

        async def applied() -> bool:
            assert runtime.pool is not None
            seq = await runtime.pool.fetchval("SELECT last_seq FROM projection_state")
            return int(seq) >= head

        await wait_until(applied, timeout)
        return head


@asynccontextmanager
async def running_api(config: Settings, *, projection_paused: bool = False
                      ) -> AsyncIterator[Api]:
    app = create_app(config)
    if projection_paused:
        app.state.runtime.hold_projection()
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        # Litestar's lifespan must be left in the task that entered it, while a
        # package fixture tears down in another task: so it gets a task of its own.
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    try:
        await asyncio.wait_for(started.wait(), 20)
        await asyncio.wait_for(app.state.runtime.started.wait(), 20)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield Api(app, client)
    finally:
        stop.set()
        await task


class Provisioner:
    """Appends the provisioner's events, as the contract says it does (guarded appends)."""

    def __init__(self, nc: nats.NATS) -> None:
        self.store = EventLog(nc)

    async def append(self, tenant: dict[str, Any], event_type: type[EventBase],
                     **fields: Any) -> int:
        tenant_id = uuid.UUID(tenant["id"])
        history = await self.store.history(tenant_id)
        event = event_type(tenant_id=tenant_id, owner=tenant["owner"], actor="system", **fields)
        return await self.store.append(event, history.last_seq)
