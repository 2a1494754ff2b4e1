"""A WebSocket client that collects the notifier's frames in the background."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from tests.conftest import wait_until


class Watcher:
    def __init__(self, url: str, token: str, after: int | None = None) -> None:
        query = f"?access_token={token}" + (f"&after={after}" if after is not None else "")
        self.url = url + query
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Watcher:
        self._socket = await websockets.connect(self.url)
        self._task = asyncio.create_task(self._collect())
        await wait_until(lambda: self.frames, timeout=10)
        assert self.frames[0]["type"] == "welcome", self.frames[0]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._socket.close()
        if self._task:
            await self._task

    async def _collect(self) -> None:
        try:
            async for message in self._socket:
                self.frames.append(json.loads(message))
        except websockets.ConnectionClosed:
            pass
        self.close_code = self._socket.close_code

    def events(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        return [f["event"] for f in self.frames if f["type"] == "event"
                and (tenant_id is None or f["event"]["tenant_id"] == tenant_id)]

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if f["type"] == "event"]

    async def wait_for(self, tenant_id: str, event_type: str, timeout: float = 30) -> None:
        await wait_until(lambda: any(e["type"] == event_type for e in self.events(tenant_id)),
                         timeout=timeout)
