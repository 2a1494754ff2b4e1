"""What JetStream's `sync_interval` costs (not a test): appends per second, side by side.

    uv run python bench/durability/sync_interval.py [--appends 3000] [--cluster]

Starts a real nats-server (tenantctl.nats_server, which writes a config file with
`jetstream { sync_interval: ... }`) per setting, creates the TENANTS stream from the
contract and appends events one at a time, each awaiting its ack, with the headers
every append of the project carries (Nats-Msg-Id, the expected last subject
sequence, traceparent). `--cluster` runs three routed nodes and an R3 stream, the
shape of the Kubernetes StatefulSet (here all three nodes share one disk).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nats
from nats.js.api import StreamConfig

from tenant_contracts.codec import encode_event
from tenant_contracts.events import EventBase, TenantProgress, TenantRequested
from tenant_contracts.stream import stream_config
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenantctl.nats_auth import NatsCredentials
from tenantctl.nats_server import NatsCluster, NatsServer

# "2m" is the server's default, written out so that the config says what it does.
SETTINGS = ("always", "1s", "2m")
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def tenant_story(index: int, length: int) -> list[EventBase]:
    tenant_id, owner = uuid.uuid4(), f"user-{index % 50}"
    first = TenantRequested(tenant_id=tenant_id, owner=owner, actor=owner, name=f"T {index}",
                            slug=f"bench-{index}", plan="free", admin_email="a@x.test")
    return [first, *(TenantProgress(tenant_id=tenant_id, owner=owner, actor="system",
                                    stage="migrating", percent=p % 100)
                     for p in range(length - 1))]


async def appends_per_second(options: dict[str, Any], replicas: int, appends: int) -> float:
    nc = await nats.connect(**options)  # admin: it appends requests and outcomes alike
    js = nc.jetstream(timeout=10)
    await js.add_stream(StreamConfig.from_response(stream_config(replicas)))
    stories = [tenant_story(i, 10) for i in range(appends // 10)]
    started = time.perf_counter()
    for story in stories:
        last = 0
        for event in story:
            ack = await js.publish(event_subject(event), encode_event(event), stream=STREAM_NAME,
                                   headers=append_headers(event, last, TRACEPARENT))
            last = ack.seq
    elapsed = time.perf_counter() - started
    await nc.close()
    return len(stories) * 10 / elapsed


@contextmanager
def server(sync_interval: str, cluster: bool) -> Iterator[dict[str, Any]]:
    base = Path(tempfile.mkdtemp(prefix="bench-sync-interval-"))
    try:
        if cluster:
            nodes = NatsCluster(base_dir=base, auth=NatsCredentials.generate())
            for node in nodes.nodes:
                node.sync_interval = sync_interval
            nodes.start(log_dir=base)
            try:
                yield nodes.connect_options("admin")
            finally:
                nodes.stop()
        else:
            single = NatsServer(store_dir=base, sync_interval=sync_interval,
                                auth=NatsCredentials.generate()).start()
            try:
                yield single.connect_options("admin")
            finally:
                single.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--cluster", action="store_true", help="three nodes, an R3 stream")
    parser.add_argument("--rounds", type=int, default=2, help="best of this many per setting")
    args = parser.parse_args()
    replicas = 3 if args.cluster else 1
    rates: dict[str, float] = {}
    for setting in SETTINGS:
        best = 0.0
        for _ in range(args.rounds):
            with server(setting, args.cluster) as options:
                best = max(best, asyncio.run(appends_per_second(options, replicas,
                                                                args.appends)))
        rates[setting] = best
        print(f"sync_interval {setting:>6}: {best:8.0f} appends/s", flush=True)
    default = rates["2m"]
    shape = "3 nodes, R3" if args.cluster else "1 node, R1"
    print(f"\n{args.appends} synchronous appends, {shape}, best of {args.rounds}")
    print(" | ".join(f"{s}: {rates[s]:.0f}/s ({rates[s] / default:.2f} x default)"
                     for s in SETTINGS))


if __name__ == "__main__":
    main()
