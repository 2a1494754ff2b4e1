"""Run inside the testbed's network namespace, where the Services' ClusterIPs route
(kube-proxy): a WebSocket to the notifier's Service, then a tenant created through
the api's Service, followed to Active; a second socket resumes from `after=0`.
Prints what it saw as JSON for the test to judge.

    python -m tests.e2e.kubernetes.through_services API NOTIFIER TOKEN SLUG

API and NOTIFIER are each Service's ClusterIP:port.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx
import websockets

DEADLINE_SECONDS = 120


async def events_until_active(socket: Any, tenant_id: str, deadline: float) -> list[Any]:
    """The socket's event frames for the tenant, up to its TenantActive."""
    frames: list[Any] = []
    while time.monotonic() < deadline:
        frame = json.loads(await asyncio.wait_for(socket.recv(), deadline - time.monotonic()))
        if frame["type"] != "event" or frame["event"]["tenant_id"] != tenant_id:
            continue
        frames.append({"seq": frame["seq"], "type": frame["event"]["type"]})
        if frame["event"]["type"] == "TenantActive":
            break
    return frames


async def run(api_address: str, notifier_address: str, token: str, slug: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    api = f"http://{api_address}"
    ws = f"ws://{notifier_address}/ws?access_token={token}"
    async with httpx.AsyncClient(base_url=api, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        ready = (await http.get("/readyz")).status_code
        async with websockets.connect(ws) as live:
            welcome = json.loads(await live.recv())
            created = await http.post("/api/v1/tenants", json={
                "name": "Through the Services", "slug": slug,
                "admin_email": "admin@example.com"})
            tenant_id = created.json()["id"]
            status = None
            while status != "Active" and time.monotonic() < deadline:
                status = (await http.get(f"/api/v1/tenants/{tenant_id}")).json()["status"]
                await asyncio.sleep(0.2)  # the read model follows the provisioner
            live_frames = await events_until_active(live, tenant_id, deadline)
        async with websockets.connect(ws + "&after=0") as resumed:
            resumed_frames = await events_until_active(resumed, tenant_id, deadline)
        history = (await http.get(f"/api/v1/tenants/{tenant_id}/events")).json()["items"]
    return {"ready": ready, "welcome": welcome["type"], "created": created.status_code,
            "status": status, "live": live_frames, "resumed": resumed_frames,
            "history": [{"seq": h["seq"], "type": h["event"]["type"]} for h in history]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(*sys.argv[1:5]))))
