"""Projection rebuild rate (not a test): events per second replayed into the read model.

    uv run python bench/api/rebuild.py [--tenants 3000]

Starts its own nats-server and PostgreSQL, appends each tenant's whole happy
path through the contract (7 events: requested, provisioning, 4 x progress,
active), then runs `tenantctl projections rebuild` exactly as an operator would,
and beside it, in the same run, the limit: a raw nats-py ordered consumer that
reads the same stream and decodes each event, with no database. It prints both
rates and their ratio (goal: rebuild >= 0.9x the raw read), for each of --rounds
pairs, the order alternating.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
import uuid

import nats
from nats.aio.msg import Msg
from nats.js.api import StreamConfig

from tenant_contracts.codec import decode_event, encode_event
from tenant_contracts.events import (
    EventBase,
    TenantActive,
    TenantProgress,
    TenantProvisioning,
    TenantRequested,
)
from tenant_contracts.stream import stream_config
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenant_contracts.tenant import STAGES
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster, create_database


def happy_path(index: int) -> list[EventBase]:
    tenant_id, owner = uuid.uuid4(), f"user-{index % 50}"
    return [
        TenantRequested(tenant_id=tenant_id, owner=owner, actor=owner, name=f"Tenant {index}",
                        slug=f"bench-{index}", plan="free", admin_email=f"a{index}@x.test"),
        TenantProvisioning(tenant_id=tenant_id, owner=owner, actor="system", attempt=1),
        *[TenantProgress(tenant_id=tenant_id, owner=owner, actor="system", stage=stage,
                         percent=percent) for stage, percent in STAGES],
        TenantActive(tenant_id=tenant_id, owner=owner, actor="system",
                     database=f"tenant_bench_{index}"),
    ]


async def append_all(server: NatsServer, tenants: int) -> int:
    nc = await nats.connect(**server.connect_options("admin"))
    js = nc.jetstream()
    await js.add_stream(StreamConfig.from_response(stream_config()))
    count = 0
    for index in range(tenants):
        last = 0
        for event in happy_path(index):
            ack = await js.publish(event_subject(event), encode_event(event), stream=STREAM_NAME,
                                   headers=append_headers(event, last))
            last, count = ack.seq, count + 1
    await nc.close()
    return count


async def raw_read(server: NatsServer, events: int) -> float:
    """Seconds for an ordered push consumer to deliver and decode every event."""
    nc = await nats.connect(**server.connect_options("api"))
    js = nc.jetstream()
    done = asyncio.Event()
    count = 0

    async def on_message(msg: Msg) -> None:
        nonlocal count
        decode_event(msg.data)
        count += 1
        if count == events:
            done.set()

    started = time.monotonic()
    sub = await js.subscribe(">", stream=STREAM_NAME, ordered_consumer=True, cb=on_message,
                             pending_msgs_limit=-1, pending_bytes_limit=-1)
    await asyncio.wait_for(done.wait(), 600)
    seconds = time.monotonic() - started
    await sub.unsubscribe()
    await nc.close()
    return seconds


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with temporary_nats_server("bench-rebuild-nats-") as server:
        measure(server, args.tenants, args.rounds)


def rebuild_rate(env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-m", "tenantctl", "projections", "rebuild"],
                         env=env, check=True, capture_output=True, text=True).stdout
    print(f"  {out.strip()}", flush=True)
    found = re.search(r"\(([\d.]+) events/s\)", out)
    if found is None:
        raise SystemExit("the rebuild no longer reports its rate")
    return float(found.group(1))  # its own clock: without the interpreter's start


def measure(server: NatsServer, tenants: int, rounds: int) -> None:
    cluster = PostgresCluster.temporary().init().start()
    try:
        events = asyncio.run(append_all(server, tenants))
        asyncio.run(create_database(cluster.url(), "read_model"))
        print(f"{events} events of {tenants} tenants in the stream, 2 cores", flush=True)
        env = {**os.environ, "DATABASE_URL": cluster.url("read_model"), **server.env("api")}
        ratios = []
        for run in range(1, rounds + 1):
            # The machine is shared: each round is a pair of adjacent phases, and the
            # order alternates so that neither always runs second (a load that rises
            # or falls during the run would favour it).
            print(f"run {run}:", flush=True)
            if run % 2:
                rebuild = rebuild_rate(env)
                raw = events / asyncio.run(raw_read(server, events))
            else:
                raw = events / asyncio.run(raw_read(server, events))
                rebuild = rebuild_rate(env)
            ratios.append(rebuild / raw)
            first = "rebuild" if run % 2 else "raw read"
            print(f"  rebuild {rebuild:,.0f} events/s | raw ordered read + "
                  f"decode {raw:,.0f} events/s | ratio {rebuild / raw:.2f} (goal >= 0.9; "
                  f"{first} first) | {load_average()}", flush=True)
        print(f"ratios {' '.join(f'{r:.2f}' for r in ratios)}; median "
              f"{statistics.median(ratios):.2f}", flush=True)
    finally:
        cluster.remove()


if __name__ == "__main__":
    main()
