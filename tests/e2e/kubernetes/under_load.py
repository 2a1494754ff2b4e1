"""Run inside the testbed's network namespace while the test disrupts the pods: the
local cluster's load and clients (tests/e2e/cluster/harness.py), here through the
Services. Steady POSTs through the api's Service, each with its own Idempotency-Key
(a 503 or no answer is retried with the same key and body, as clients should), and
resuming WebSocket clients through the notifier's Service (on any close they come
back with `after` = the last seq they got, as the SPA does).

Prints `running` once the load runs. A line of NATS pod addresses on stdin (the pods
have new addresses by then) stops the load; it then waits until every stored request
has its terminal event, checks every invariant of the harness and prints its figures
as JSON. A broken invariant is a traceback and a non-zero exit.

    python -m tests.e2e.kubernetes.under_load API NOTIFIER KEY CA PASSWORD IP [IP...]

API and NOTIFIER are each Service's ClusterIP:port; KEY the PEM of the key that signs
the tokens (the testbed's JWKS serves its public half).
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tenant_contracts.subjects import STREAM_NAME
from tests.e2e.cluster.harness import Load, ResumingClient, check_invariants, wait_settled
from tests.e2e.kubernetes.jwks import token
from tests.e2e.kubernetes.nats_probe import connect_admin

# One create a second for as long as the disruptions last (minutes): spread over
# enough users that none comes near the default quota (10) or rate limit (30/min).
RATE = 1.0
USERS = 100
SOCKETS = 8  # the first four admins (every event), then one per user of the first four


@dataclass(frozen=True)
class ServiceEndpoints:
    api: str
    notifier: str
    key: RSAPrivateKey

    def api_urls(self) -> list[str]:
        return [f"http://{self.api}"]

    def socket_urls(self) -> list[str]:
        return [f"ws://{self.notifier}/ws"]

    def token(self, user: str, *roles: str) -> str:
        return token(self.key, user, *roles)


async def stream_head(ca: str, password: str, addresses: list[str]) -> int:
    nc = await connect_admin(ca, password, addresses)
    try:
        return (await nc.jetstream().stream_info(STREAM_NAME)).state.last_seq
    finally:
        await nc.close()


def signing_key(path: str) -> RSAPrivateKey:
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    assert isinstance(key, RSAPrivateKey)
    return key


async def run(platform: ServiceEndpoints, ca: str, password: str, addresses: list[str]
              ) -> dict[str, Any]:
    users = [f"k8s-{uuid.uuid4().hex[:6]}-{i}" for i in range(USERS)]
    head = await stream_head(ca, password, addresses)
    clients = [ResumingClient(platform, user=users[i % 4], admin=i < 4, start_after=head)
               for i in range(SOCKETS)]
    for client in clients:
        client.start()
    load = Load(platform, users, rate=RATE)
    load.start()
    print("running", flush=True)
    addresses = json.loads(await asyncio.to_thread(sys.stdin.readline))
    nc = await connect_admin(ca, password, addresses)
    try:
        await load.stop()
        await wait_settled(nc, load, timeout=240)
        report = await check_invariants(nc, platform, load, clients)
    finally:
        await load.stop()
        for client in clients:
            await client.stop()
        await nc.close()
    lags = sorted(lag for client in clients for lag in client.lags)
    return {"requests": report.requests, "codes": report.codes, "tenants": report.tenants,
            "frames": report.frames, "reconnects": [c.reconnects for c in clients],
            "lag_p50": lags[len(lags) // 2], "lag_max": lags[-1]}


if __name__ == "__main__":
    api, notifier, key, ca, password, *nats_addresses = sys.argv[1:]
    endpoints = ServiceEndpoints(api, notifier, signing_key(key))
    print(json.dumps(asyncio.run(run(endpoints, ca, password, nats_addresses))), flush=True)
