"""Pickup side by side (not a test): a stored request until its work has visibly begun.

    bench/tools/install.sh                     # Debian's redis-server, the bench group
    uv run python bench/provisioner/pickup.py [--rate 4 --requests 200 --rounds 2]

At the same fixed rate, N requests each, alternating in one run:

- this project: a `TenantRequested` appended to TENANTS as the api does (EventLog,
  expected seq 0), timed from the append's ack to the moment an ordered feed on the
  stream delivers the provisioner's `TenantProvisioning` for that tenant; a real
  provisioner process against a real PostgreSQL (it goes on to provision each one).
  The rate stays below the provisioning throughput (a few tenants/s here: each is
  a database made and migrated): above it, requests wait for a free worker slot
  and the figure measures that queue, which a no-op task never has.
- Celery 5 + Redis (Debian's redis-server, no persistence), a no-op task: timed from
  `apply_async` returning (the message is in Redis) to the task's first line in the
  worker (default prefork pool, one child per core).

Both use CLOCK_MONOTONIC (time.monotonic, one clock for every process of the
machine). The project's figure also comes as stored-to-stored (the two events'
JetStream timestamps) as a cross-check. Prints p50/p95/p99 and the goal: pickup
p50 <= 0.5x Celery's and p99 <= Celery's. JetStream fsyncs every append
(sync_interval always); on the disk where PostgreSQL makes the tenants' databases
those fsyncs queue behind its writes: `--nats-dir` puts the stream elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.aio.msg import Msg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from procstat import load_average

from tenant_contracts.codec import decode_event
from tenant_contracts.events import (
    TenantActive,
    TenantFailed,
    TenantProvisioning,
    TenantRequested,
)
from tenant_stream.event_log import EventLog
from tenant_stream.feed import OrderedFeed
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.ports import free_port, wait_for_port
from tenantctl.postgres import PostgresCluster
from tenantctl.services import ServiceProcess, wait_http_ok

HERE = Path(__file__).resolve().parent
WARM_UP = 5  # requests before each measured phase: connections and pools open
DEADLINE_SECONDS = 120.0  # for the last pickup after the last request


@dataclass(frozen=True)
class Figures:
    name: str
    latencies_ms: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)  # nearest rank: p99 of 200 is the 198th
        return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)]

    def line(self) -> str:
        return (f"{self.name:<44} n={len(self.latencies_ms):<5} "
                f"p50 {self.percentile(50):7.2f} ms  p95 {self.percentile(95):7.2f} ms  "
                f"p99 {self.percentile(99):7.2f} ms  max {max(self.latencies_ms):7.2f} ms  "
                f"{load_average()}")


async def at_rate(rate: float, count: int, send: Callable[[int], object]) -> None:
    """Calls send(i) at start + i/rate (an open loop: a slow send delays no other)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(count):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        send(i)


# -- this project ----------------------------------------------------------------


class Pickups:
    """What the ordered feed saw: when each tenant's TenantProvisioning arrived."""

    def __init__(self) -> None:
        self.seen_at: dict[uuid.UUID, float] = {}
        self.finished: dict[uuid.UUID, float] = {}  # active or failed: its worker is free
        self.stored_at: dict[tuple[uuid.UUID, str], float] = {}  # JetStream timestamps
        self.arrived = asyncio.Event()

    async def on_message(self, seq: int, msg: Msg) -> None:
        now = time.monotonic()
        event = decode_event(msg.data)
        if isinstance(event, TenantProvisioning | TenantRequested):
            self.stored_at[(event.tenant_id, type(event).__name__)] = \
                msg.metadata.timestamp.timestamp()
        if isinstance(event, TenantProvisioning):
            self.seen_at.setdefault(event.tenant_id, now)
            self.arrived.set()
        elif isinstance(event, TenantActive | TenantFailed):
            self.finished.setdefault(event.tenant_id, now)
            self.arrived.set()


async def project(server: NatsServer, rate: float, count: int) -> tuple[Figures, Figures]:
    writer = await nats.connect(**server.connect_options("api"))  # the api's own rights
    reader = await nats.connect(**server.connect_options("api"))
    log = EventLog(writer)
    pickups = Pickups()
    feed = OrderedFeed(reader, pickups.on_message, position=await log.head(), name="bench")
    feed.start()
    await asyncio.wait_for(feed.opened.wait(), 30)
    stored: dict[uuid.UUID, float] = {}
    appends: set[asyncio.Task[None]] = set()

    async def request(tenant_id: uuid.UUID) -> None:
        slug = f"p{tenant_id.hex[:12]}"
        event = TenantRequested(tenant_id=tenant_id, owner="bench", actor="bench", name=slug,
                                slug=slug, plan="free", admin_email=f"admin@{slug}.example")
        await log.append(event, 0)
        stored[tenant_id] = time.monotonic()

    def send(_: int) -> None:
        task = asyncio.create_task(request(uuid.uuid4()))
        appends.add(task)
        task.add_done_callback(appends.discard)

    try:
        for phase_count in (WARM_UP, count):
            stored.clear()
            await at_rate(rate, phase_count, send)
            await asyncio.gather(*appends)
            await until(lambda: all(t in pickups.seen_at for t in stored), pickups.arrived)
            # The databases made too, so that the next phase (Celery's) has the machine.
            await until(lambda: pickups.finished.keys() >= set(stored), pickups.arrived)
        by_clock = [(pickups.seen_at[t] - at) * 1e3 for t, at in stored.items()]
        by_stream = [(pickups.stored_at[(t, "TenantProvisioning")]
                      - pickups.stored_at[(t, "TenantRequested")]) * 1e3 for t in stored]
        # Mean workers busy (Little's law): near PROVISIONER_CONCURRENCY, requests wait
        # for a free one and the pickup measures that queue.
        work = [pickups.finished[t] - pickups.seen_at[t] for t in stored]
        print(f"provisioning (TenantProvisioning -> Active) mean {statistics.mean(work):.2f} s: "
              f"{rate * statistics.mean(work):.1f} workers busy on average", flush=True)
        return (Figures("project: ack -> TenantProvisioning seen", by_clock),
                Figures("project: stored -> stored (stream timestamps)", by_stream))
    finally:
        await feed.stop()
        await reader.close()
        await writer.close()


async def until(done: Callable[[], bool], changed: asyncio.Event) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not done():
        changed.clear()
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("not every request was picked up by the deadline")
        try:
            await asyncio.wait_for(changed.wait(), min(left, 1.0))
        except TimeoutError:
            pass


@contextmanager
def provisioner(server: NatsServer, pg: PostgresCluster, concurrency: int,
                workdir: Path) -> Iterator[ServiceProcess]:
    env = {**os.environ, **server.env("provisioner"), "PROVISIONER_DATABASE_URL": pg.url(),
           "PROVISIONER_CONCURRENCY": str(concurrency), "LOG_LEVEL": "WARNING"}
    process = ServiceProcess("provisioner", env, log_file=workdir / "provisioner.log").start()
    try:
        wait_http_ok(f"http://127.0.0.1:{env['PROVISIONER_PORT']}/readyz", 60, process)
        yield process
    finally:
        process.stop()


@contextmanager
def nats_server(parent: str | None) -> Iterator[NatsServer]:
    """tenantctl's temporary server (sync_interval always, auth on), its store under
    `parent`: on a disk of its own, PostgreSQL's writes (createdb copies a database)
    no longer queue in front of JetStream's fsyncs."""
    with temporary_nats_server("bench-nats-", parent=parent) as server:
        yield server


# -- Celery + Redis --------------------------------------------------------------


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server missing: run bench/tools/install.sh first")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--logfile", str(workdir / "redis.log")])
    try:
        wait_for_port(port, 15)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def celery_worker(redis_url: str, workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PICKUP_REDIS_URL": redis_url}
    with open(workdir / "celery.log", "ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_noop", "worker",
             "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
            cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield worker
    finally:
        worker.terminate()  # a warm shutdown; its pool children go with it
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:  # seen once: stuck in its shutdown
            os.killpg(worker.pid, signal.SIGKILL)  # its own session: the pool too
            worker.wait()


async def celery(redis_url: str, rate: float, count: int) -> Figures:
    import redis

    os.environ["PICKUP_REDIS_URL"] = redis_url
    sys.path.insert(0, str(HERE))
    import celery_noop

    client = redis.Redis.from_url(redis_url)
    sent: dict[int, float] = {}
    offset = 0

    def send(i: int) -> None:
        celery_noop.noop.apply_async((offset + i,))
        sent[offset + i] = time.monotonic()

    def started() -> dict[int, float]:
        return {int(k): float(v) for k, v in client.hgetall(celery_noop.STARTED).items()}

    for phase_count in (WARM_UP, count):
        sent.clear()
        await at_rate(rate, phase_count, send)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not set(sent) <= set(started()):
            if time.monotonic() > deadline:
                raise TimeoutError("not every task started by the deadline")
            await asyncio.sleep(0.05)  # polling the results, not the moment measured
        offset += phase_count
    at = started()
    client.close()
    return Figures("Celery + Redis: apply_async -> task starts",
                   [(at[i] - t) * 1e3 for i, t in sent.items()])


# -- both ------------------------------------------------------------------------


def compare(ours: Figures, theirs: Figures) -> None:
    p50 = ours.percentile(50) / theirs.percentile(50)
    p99 = ours.percentile(99) / theirs.percentile(99)
    print(f"ratio project/Celery: p50 {p50:.2f} (goal <= 0.5 {'met' if p50 <= 0.5 else 'NOT met'})"
          f", p99 {p99:.2f} (goal <= 1 {'met' if p99 <= 1 else 'NOT met'})", flush=True)


async def measure(args: argparse.Namespace, server: NatsServer, pg: PostgresCluster,
                  workdir: Path) -> None:
    with provisioner(server, pg, args.concurrency, workdir) as service, \
            redis_server(workdir) as url, celery_worker(url, workdir) as worker:
        assert service.process is not None
        print(f"{args.requests} requests at {args.rate:g}/s per phase, provisioner concurrency "
              f"{args.concurrency} (pid {service.process.pid}), Celery worker pid {worker.pid}, "
              f"{os.cpu_count()} cores", flush=True)
        for round_ in range(args.rounds):
            print(f"== round {round_ + 1}", flush=True)
            by_clock, by_stream = await project(server, args.rate, args.requests)
            print(by_clock.line(), flush=True)
            print(by_stream.line(), flush=True)
            theirs = await celery(url, args.rate, args.requests)
            print(theirs.line(), flush=True)
            compare(by_clock, theirs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=4.0,
                        # Below the provisioning throughput (tenants/s): above it the pickup
                        # measures the queue behind PROVISIONER_CONCURRENCY instead.
                        help="requests per second")
    parser.add_argument("--requests", type=int, default=200, help="per phase")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="PROVISIONER_CONCURRENCY (the service's default is 4)")
    parser.add_argument("--nats-dir", help="where JetStream stores the stream (default: the "
                        "temporary directory, on the same disk as PostgreSQL)")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the provisioner's, Redis's and Celery's logs")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-pickup-"))
    pg = PostgresCluster.temporary().init().start()
    try:
        with nats_server(args.nats_dir) as server:
            asyncio.run(measure(args, server, pg, workdir))
    finally:
        pg.remove()
        if args.keep_logs:
            print(f"logs in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
