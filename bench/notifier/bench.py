"""Notifier benchmark (not a test): N WebSocket sessions, M appended events.

    uv run python bench/notifier/bench.py                     # 1,000 sessions
    uv run python bench/notifier/bench.py --sessions 10000    # 10,000 sessions

Starts its own nats-server and one notifier process (unless --nats-url is
given, then it uses that server), opens the sessions (users with several tabs
each, plus a few admins who see everything), appends M events through the
contract (append_headers / encode_event), and prints frames per second, the
latency from append to receipt (p50, p99) and the notifier's resident memory
per idle session. Each event carries its append time in `message`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec
import nats
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from procstat import cpu_seconds, rss_bytes

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantProgress, TenantRequested
from tenant_contracts.subjects import append_headers, event_subject
from tenant_stream.connection import NatsSettings
from tenantctl.nats_auth import NatsCredentials
from tenantctl.nats_server import temporary_nats_server
from tenantctl.ports import free_port
from tenantctl.services import PlatformConfig, ServiceProcess, wait_http_ok
from tenantctl.tokens import mint_token

SECRET = "bench-secret-that-is-long-enough-for-hs256!"


class _Event(msgspec.Struct):
    message: str = ""


class _Frame(msgspec.Struct):
    type: str
    event: _Event | None = None


_decode_frame = msgspec.json.Decoder(_Frame).decode


class Receiver:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.frames = 0
        self.last_at = 0.0
        self.expected = 0
        self.all_received = asyncio.Event()

    async def session(self, url: str, ready: Callable[[], None],
                      opening: asyncio.Semaphore) -> None:
        await opening.acquire()  # browsers arrive spread out, not as one SYN flood
        async with websockets.connect(url, open_timeout=60, ping_interval=None,
                                      max_queue=1024) as ws:
            async for message in ws:
                now = time.time_ns()
                frame = _decode_frame(message)
                if frame.type == "welcome":
                    opening.release()
                    ready()
                elif frame.event is not None and frame.event.message:
                    self.latencies.append((now - int(frame.event.message)) / 1e6)
                    self.frames += 1
                    self.last_at = time.monotonic()
                    if self.frames == self.expected:
                        self.all_received.set()


async def run(args: argparse.Namespace, nats_url: str,
              credentials: NatsCredentials | None) -> None:
    """credentials None: a server of the caller's (--nats-url), reached with the
    NATS_* settings of this environment for both the notifier and the appends."""
    port = free_port()
    config = PlatformConfig(
        nats_credentials=credentials, nats_tls_ca=os.environ.get("NATS_TLS_CA"),
        nats_url=nats_url, database_url="unused", provisioner_database_url="unused",
        jwt_secret=SECRET, api_port=0, notifier_port=port,
        extra_env={"NOTIFIER_SESSION_BUFFER": str(args.buffer), "LOG_LEVEL": "WARNING"})
    log = Path(tempfile.mkstemp(prefix="bench-notifier-", suffix=".log")[1])
    env = config.env("notifier") if credentials else {**config.env("notifier"), **{
        k: v for k, v in os.environ.items() if k.startswith("NATS_") and k != "NATS_URL"}}
    notifier = ServiceProcess("notifier", env, log_file=log).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", 30, notifier)
        assert notifier.process is not None
        pid = notifier.process.pid
        await asyncio.sleep(0.5)  # let the freshly started process settle before measuring
        base_rss = rss_bytes(pid)

        users = [f"user-{i}" for i in range(args.users)]
        tokens = {u: mint_token(SECRET, u) for u in users}
        tabs = {u: 0 for u in users}
        urls = []
        for i in range(args.sessions - args.admins):  # every user has a few tabs open
            tabs[users[i % len(users)]] += 1
            urls.append(f"ws://127.0.0.1:{port}/ws?access_token={tokens[users[i % len(users)]]}")
        admin = mint_token(SECRET, "bench-admin", ["admin"])
        urls += [f"ws://127.0.0.1:{port}/ws?access_token={admin}"] * args.admins
        receiver = Receiver()
        opened = asyncio.Event()
        welcomed = 0

        def ready() -> None:
            nonlocal welcomed
            welcomed += 1
            if welcomed == len(urls):
                opened.set()

        started = time.monotonic()
        opening = asyncio.Semaphore(args.connect_concurrency)
        tasks = [asyncio.create_task(receiver.session(url, ready, opening)) for url in urls]
        gate_task = asyncio.create_task(opened.wait())
        await asyncio.wait([gate_task, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if not opened.is_set():
            raise SystemExit(f"sessions failed to open: {[t for t in tasks if t.done()][:1]}")
        open_seconds = time.monotonic() - started
        await asyncio.sleep(1.0)  # idle sessions, then measure memory
        idle_rss = rss_bytes(pid)

        admin_env = credentials.env("admin") if credentials else dict(os.environ)
        nc = await nats.connect(**NatsSettings.from_env({**admin_env, "NATS_URL": nats_url})
                                .connect_options())
        js = nc.jetstream()
        tenants: list[tuple[uuid.UUID, str, int]] = []
        for user in users:
            tenant = uuid.uuid4()
            request = TenantRequested(tenant_id=tenant, owner=user, actor=user, name="Bench",
                                      slug=f"b-{tenant.hex[:12]}", plan="free",
                                      admin_email="bench@example.test")
            ack = await js.publish(event_subject(request), encode_event(request),
                                   stream="TENANTS", headers=append_headers(request, 0))
            tenants.append((tenant, user, ack.seq))
        expected = sum(tabs[tenants[i % len(tenants)][1]] + args.admins
                       for i in range(args.events))
        receiver.latencies.clear()
        receiver.frames = 0
        receiver.expected = expected
        interval = 1.0 / args.rate if args.rate else 0.0
        publish_started = time.monotonic()
        cpu_started = cpu_seconds(pid)
        for i in range(args.events):
            tenant, user, last = tenants[i % len(tenants)]
            event = TenantProgress(tenant_id=tenant, owner=user, actor="system",
                                   stage="migrating", percent=i % 100,
                                   message=str(time.time_ns()))
            ack = await js.publish(event_subject(event), encode_event(event), stream="TENANTS",
                                   headers=append_headers(event, last))
            tenants[i % len(tenants)] = (tenant, user, ack.seq)
            if interval:
                delay = publish_started + (i + 1) * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
        publish_seconds = time.monotonic() - publish_started
        try:
            await asyncio.wait_for(receiver.all_received.wait(), 60)
        except TimeoutError:
            print("not every frame arrived within 60 s")
        delivery_seconds = receiver.last_at - publish_started
        metrics_rss = rss_bytes(pid)
        notifier_cpu = cpu_seconds(pid) - cpu_started
        await nc.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

        lat = sorted(receiver.latencies)
        print(f"sessions            {len(urls)} ({args.users} users with "
              f"{min(tabs.values())}-{max(tabs.values())} tabs each + {args.admins} admins), "
              f"opened in {open_seconds:.1f} s")
        print(f"events appended     {args.events} in {publish_seconds:.1f} s "
              f"({'max' if not args.rate else args.rate} /s target)")
        print(f"frames received     {receiver.frames} of {expected} expected")
        print(f"frames per second   {receiver.frames / delivery_seconds:,.0f}   (notifier CPU "
              f"{notifier_cpu:.1f} s: {notifier_cpu / max(1, receiver.frames) * 1e6:.0f} us "
              f"per frame; the client shares the machine's 2nd core)")
        if lat:
            print(f"latency append->receipt  p50 {statistics.median(lat):.1f} ms   "
                  f"p99 {lat[int(len(lat) * 0.99) - 1]:.1f} ms   max {lat[-1]:.1f} ms")
        print(f"notifier RSS        {base_rss / 2**20:.1f} MiB empty, "
              f"{idle_rss / 2**20:.1f} MiB with {len(urls)} idle sessions "
              f"({(idle_rss - base_rss) / len(urls) / 1024:.1f} KiB per session), "
              f"{metrics_rss / 2**20:.1f} MiB after the run")
    finally:
        notifier.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--admins", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200.0,
                        help="events appended per second; 0 = as fast as acks come back")
    parser.add_argument("--connect-concurrency", type=int, default=200,
                        help="sessions being opened at the same time")
    parser.add_argument("--buffer", type=int, default=1024, help="NOTIFIER_SESSION_BUFFER")
    parser.add_argument("--nats-url", help="use this server instead of a fresh one")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 2 * args.sessions + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # the notifier inherits it

    if args.nats_url:
        asyncio.run(run(args, args.nats_url, None))
        return
    with temporary_nats_server("bench-nats-") as server:
        asyncio.run(run(args, server.url, server.auth))  # the notifier creates the stream


if __name__ == "__main__":
    main()
