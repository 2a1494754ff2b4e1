"""Run inside the testbed's network namespace (the pods' addresses are there):
connects to the NATS pods as the admin principal, creates the TENANTS stream with
three replicas through tenant_stream (as the services do) and prints its cluster
state as JSON.

    python -m tests.e2e.kubernetes.nats_probe CA PASSWORD IP [IP...]
"""

from __future__ import annotations

import asyncio
import json
import sys

import nats
from nats.aio.client import Client as NatsClient

from tenant_stream.connection import NatsSettings
from tenant_stream.setup import ensure_stream


async def connect_admin(ca: str, password: str, addresses: list[str]) -> NatsClient:
    settings = NatsSettings.from_env({
        "NATS_URL": ",".join(f"tls://{a}:4222" for a in addresses),
        "NATS_USER": "admin", "NATS_PASSWORD": password, "NATS_TLS_CA": ca})
    # By address: the test has no cluster DNS. The certificate names `nats`.
    return await nats.connect(**settings.connect_options(), tls_hostname="nats",
                              connect_timeout=2, max_reconnect_attempts=0)


async def probe(ca: str, password: str, addresses: list[str]) -> dict[str, object]:
    nc = await connect_admin(ca, password, addresses)
    try:
        info = await ensure_stream(nc.jetstream(), replicas=3)
        cluster = info.cluster
        assert cluster is not None
        return {"replicas": info.config.num_replicas, "leader": cluster.leader,
                "last_seq": info.state.last_seq,
                "peers": [{"name": p.name, "current": p.current}
                          for p in cluster.replicas or []]}
    finally:
        await nc.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(sys.argv[1], sys.argv[2], sys.argv[3:]))))
