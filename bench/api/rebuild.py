"""Projection rebuild rate (not a test): events per second replayed into the read model.

    uv run python bench/api/rebuild.py [--tenants 3000]

Starts its own nats-server and PostgreSQL, appends each tenant's whole happy
path through the contract (7 events: requested, provisioning, 4 x progress,
active), then runs `tenantctl projections rebuild` exactly as an operator would,
and beside it, in the same run, the limit: a raw nats-py ordered consumer that
reads the same stream and decodes each event, with no database. It prints both
rates and their ratio (goal: rebuild >= 0.9x the raw read), for each of --rounds
pairs, the order alternating, and the ratio of their CPU per event.
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


async def raw_read(server: NatsServer, events: int) -> tuple[float, float]:
    """Seconds, and seconds of CPU, for an ordered push consumer to deliver and decode
    every event."""
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

    started, cpu_started = time.monotonic(), time.process_time()
    sub = await js.subscribe(">", stream=STREAM_NAME, ordered_consumer=True, cb=on_message,
                             pending_msgs_limit=-1, pending_bytes_limit=-1)
    await asyncio.wait_for(done.wait(), 600)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
    await sub.unsubscribe()
    await nc.close()
    return seconds, cpu


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with temporary_nats_server("bench-rebuild-nats-") as server:
        measure(server, args.tenants, args.rounds)


def rebuild_rate(env: dict[str, str]) -> tuple[float, float | None]:
    """Events/s and seconds of CPU, as the command reports them (older builds: no CPU)."""
    out = subprocess.run([sys.executable, "-m", "tenantctl", "projections", "rebuild"],
                         env=env, check=True, capture_output=True, text=True).stdout
    print(f"  {out.strip()}", flush=True)
    found = re.search(r"\(([\d.]+) events/s\)(?:, ([\d.]+) s of CPU)?", out)
    if found is None:
        raise SystemExit("the rebuild no longer reports its rate")
    # Its own clocks: without the interpreter's start.
    return float(found.group(1)), float(found.group(2)) if found.group(2) else None


def measure(server: NatsServer, tenants: int, rounds: int) -> None:
    cluster = PostgresCluster.temporary().init().start()
    try:
        events = asyncio.run(append_all(server, tenants))
        asyncio.run(create_database(cluster.url(), "read_model"))
        print(f"{events} events of {tenants} tenants in the stream, 2 cores", flush=True)
        env = {**os.environ, "DATABASE_URL": cluster.url("read_model"), **server.env("api")}
        ratios, cpu_ratios = [], []
        for run in range(1, rounds + 1):
            # The machine is shared: each round is a pair of adjacent phases, and the
            # order alternates so that neither always runs second (a load that rises
            # or falls during the run would favour it).
            print(f"run {run}:", flush=True)
            if run % 2:
                rebuild, rebuild_cpu = rebuild_rate(env)
                raw_seconds, raw_cpu = asyncio.run(raw_read(server, events))
            else:
                raw_seconds, raw_cpu = asyncio.run(raw_read(server, events))
                rebuild, rebuild_cpu = rebuild_rate(env)
            raw = events / raw_seconds
            ratios.append(rebuild / raw)
            first = "rebuild" if run % 2 else "raw read"
            print(f"  rebuild {rebuild:,.0f} events/s | raw ordered read + "
                  f"decode {raw:,.0f} events/s | ratio {rebuild / raw:.2f} (goal >= 0.9; "
                  f"{first} first) | {load_average()}", flush=True)
            if rebuild_cpu is not None:
                # CPU per event of the one process doing each: steadier than the rates
                # when other work takes turns on the cores.
                cpu_ratios.append(raw_cpu / rebuild_cpu)
                print(f"  CPU per event: rebuild {rebuild_cpu / events * 1e6:.1f} us, raw "
                      f"read {raw_cpu / events * 1e6:.1f} us: ratio {raw_cpu / rebuild_cpu:.2f}",
                      flush=True)
        by_cpu = f"; by CPU: median {statistics.median(cpu_ratios):.2f}" if cpu_ratios else ""
        print(f"ratios {' '.join(f'{r:.2f}' for r in ratios)}; median "
              f"{statistics.median(ratios):.2f}{by_cpu}", flush=True)
    finally:
        cluster.remove()


if __name__ == "__main__":
    main()
