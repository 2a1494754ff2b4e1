"""Fan-out side by side (not a test): the notifier and Centrifugo v6.9.1 in one run.

    bench/tools/install.sh                                  # pinned centrifugo + wsload
    uv run python bench/notifier/versus_centrifugo.py       # both workloads, twice
    uv run python bench/notifier/versus_centrifugo.py --workload flat --rounds 1

Both servers are fed by the same TENANTS stream on one nats-server: the
notifier through its ordered feed, Centrifugo through its NATS JetStream async
consumer in publication data mode. The routing is the same, as channels: each
event goes to `owner:<owner>` (every tab of that user) and `admin` (every admin
session); the publisher puts the channels in a `centrifugo-channels` header the
notifier ignores. One Go client (bench/tools/wsload) holds every session of both
servers; the server under test runs on core 0, the client, nats-server and the
publisher on core 1. Each server runs alone in its phase; the ratio of adjacent
phases is what counts on a shared machine, not the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.js.api import StreamConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from procstat import cpu_seconds, load_average, pin, rss_bytes, tool

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantProgress, TenantRequested
from tenant_contracts.stream import stream_config
from tenant_contracts.subjects import append_headers, event_subject
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.ports import free_port
from tenantctl.services import PlatformConfig, ServiceProcess, wait_http_ok
from tenantctl.tokens import mint_token

SECRET = "bench-secret-that-is-long-enough-for-hs256!"
SERVER_CORE, CLIENT_CORE = 0, 1
WORKLOADS = {  # name: (sessions, events, events per second; 0 = flat out)
    "flat": (1000, 10000, 0.0),
    "paced": (10000, 2000, 200.0),
}


@dataclass
class Result:
    sessions: int
    open_seconds: float
    open_cpu_us: float  # the server's CPU per session opened: less noisy than the time
    idle_kib: float
    frames: int
    expected: int
    frames_per_second: float
    cpu_us_per_frame: float
    p50_ms: float
    p99_ms: float
    load: str

    def line(self, name: str) -> str:
        return (f"{name:<11} opened {self.sessions} in {self.open_seconds:5.2f} s "
                f"({self.open_cpu_us:4.0f} us CPU each) | "
                f"{self.idle_kib:5.1f} KiB/idle session | {self.frames}/{self.expected} frames "
                f"{self.frames_per_second:8,.0f}/s | CPU {self.cpu_us_per_frame:5.1f} us/frame | "
                f"p50 {self.p50_ms:7.1f} ms p99 {self.p99_ms:7.1f} ms | {self.load}")


def hs256(claims: dict[str, object]) -> str:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    signing = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(SECRET.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64(signature)


class Client:
    """The Go load client on the client core, driven over its stdin."""

    def __init__(self, sessions: list[tuple[str, str]]) -> None:
        self.proc = subprocess.Popen([tool("wsload")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        pin(self.proc.pid, CLIENT_CORE)
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{url}\t{hello}\n" for url, hello in sessions) + "\n")
        self.proc.stdin.flush()

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line or line.startswith("failed"):
            raise SystemExit(f"wsload: {line or 'exited'}")
        return line

    def opened_seconds(self) -> float:
        return float(self._line().split()[1])

    def command(self, text: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self._line()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Fanout:
    def __init__(self, server: NatsServer, users: int, admins: int) -> None:
        self.server = server
        self.nats_url = server.url
        self.users = [f"user-{i}" for i in range(users)]
        self.admins = admins

    def tabs(self, sessions: int) -> dict[str, int]:
        tabs = {u: 0 for u in self.users}
        for i in range(sessions - self.admins):
            tabs[self.users[i % len(self.users)]] += 1
        return tabs

    async def measure(self, pid: int, client: Client, sessions: int, events: int,
                      rate: float, base_rss: int, base_cpu: float) -> Result:
        open_seconds = client.opened_seconds()
        open_cpu_us = (cpu_seconds(pid) - base_cpu) / sessions * 1e6
        await asyncio.sleep(1.0)  # idle sessions, then measure memory
        idle_kib = (rss_bytes(pid) - base_rss) / sessions / 1024
        tabs = self.tabs(sessions)
        nc = await nats.connect(**self.server.connect_options("admin"))
        js = nc.jetstream()
        tenants: list[tuple[uuid.UUID, str, int]] = []
        for user in self.users:
            tenant = uuid.uuid4()
            request = TenantRequested(tenant_id=tenant, owner=user, actor=user, name="Bench",
                                      slug=f"b-{tenant.hex[:12]}", plan="free",
                                      admin_email="bench@example.test")
            ack = await js.publish(event_subject(request), encode_event(request),
                                   stream="TENANTS", headers=self.headers(request, 0, user))
            tenants.append((tenant, user, ack.seq))
        await asyncio.sleep(0.5)  # the requests' own frames arrive before the reset
        client.command("reset")
        expected = sum(tabs[tenants[i % len(tenants)][1]] + self.admins for i in range(events))
        interval = 1.0 / rate if rate else 0.0
        cpu_started, started = cpu_seconds(pid), time.monotonic()
        started_ns = time.time_ns()
        for i in range(events):
            tenant, user, last = tenants[i % len(tenants)]
            event = TenantProgress(tenant_id=tenant, owner=user, actor="system",
                                   stage="migrating", percent=i % 100,
                                   message=str(time.time_ns()))
            ack = await js.publish(event_subject(event), encode_event(event), stream="TENANTS",
                                   headers=self.headers(event, last, user))
            tenants[i % len(tenants)] = (tenant, user, ack.seq)
            if interval:
                delay = started + (i + 1) * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
        await nc.close()
        report: dict[str, float] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report = json.loads(client.command("report"))
            if report["frames"] >= expected:
                break
            await asyncio.sleep(0.2)
        cpu = cpu_seconds(pid) - cpu_started
        frames = int(report["frames"])
        seconds = max(1e-9, (report["last_at_ns"] - started_ns) / 1e9)
        return Result(sessions, open_seconds, open_cpu_us, idle_kib, frames, expected,
                      frames / seconds, cpu / max(1, frames) * 1e6, report["p50_ms"],
                      report["p99_ms"], load_average())

    def headers(self, event: TenantProgress | TenantRequested, last: int,
                owner: str) -> dict[str, str]:
        return {**append_headers(event, last), "centrifugo-channels": f"owner:{owner},admin"}

    def notifier_sessions(self, port: int, sessions: int) -> list[tuple[str, str]]:
        tabs = self.tabs(sessions)
        urls = []
        for user, count in tabs.items():
            token = mint_token(SECRET, user)
            urls += [(f"ws://127.0.0.1:{port}/ws?access_token={token}&batch=1", "-")] * count
        admin = mint_token(SECRET, "bench-admin", ["admin"])
        admin_url = f"ws://127.0.0.1:{port}/ws?access_token={admin}&batch=1"
        return urls + [(admin_url, "-")] * self.admins

    def centrifugo_sessions(self, port: int, sessions: int) -> list[tuple[str, str]]:
        url = f"ws://127.0.0.1:{port}/connection/websocket"
        out = []
        for user, count in self.tabs(sessions).items():
            hello = json.dumps({"id": 1, "connect": {"token": hs256(
                {"sub": user, "channels": [f"owner:{user}"]})}})
            out += [(url, hello)] * count
        admin = json.dumps({"id": 1, "connect": {"token": hs256(
            {"sub": "bench-admin", "channels": ["admin"]})}})
        return out + [(url, admin)] * self.admins

    async def notifier(self, sessions: int, events: int, rate: float) -> Result:
        port = free_port()
        config = PlatformConfig(
            nats_url=self.nats_url, nats_credentials=self.server.auth,
            database_url="unused", provisioner_database_url="unused",
            jwt_secret=SECRET, api_port=0, notifier_port=port,
            extra_env={"NOTIFIER_SESSION_BUFFER": "1024", "LOG_LEVEL": "WARNING"})
        log = Path(tempfile.mkstemp(prefix="bench-notifier-", suffix=".log")[1])
        server = ServiceProcess("notifier", config.env("notifier"), log_file=log).start()
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", 30, server)
            assert server.process is not None
            pid = server.process.pid
            pin(pid, SERVER_CORE)
            await asyncio.sleep(0.5)  # let the freshly started process settle
            base_rss, base_cpu = rss_bytes(pid), cpu_seconds(pid)
            client = Client(self.notifier_sessions(port, sessions))
            try:
                return await self.measure(pid, client, sessions, events, rate, base_rss,
                                          base_cpu)
            finally:
                client.close()
        finally:
            server.stop()

    def _admin_url(self) -> str:
        assert self.server.auth is not None
        scheme, address = self.server.url.split("://", 1)
        return f"{scheme}://admin:{self.server.auth.password('admin')}@{address}"

    async def centrifugo(self, sessions: int, events: int, rate: float) -> Result:
        port = free_port()
        workdir = Path(tempfile.mkdtemp(prefix="bench-centrifugo-"))
        config = {
            "http_server": {"address": "127.0.0.1", "port": port},
            "log": {"level": "error"}, "health": {"enabled": True},
            "client": {"token": {"hmac_secret_key": SECRET}, "allowed_origins": ["*"]},
            "channel": {"namespaces": [{"name": "owner"}]},
            "consumers": [{
                "name": "tenants", "enabled": True, "type": "nats_jetstream",
                "nats_jetstream": {
                    # The admin principal: it creates a durable consumer of its own.
                    "url": self._admin_url(), "stream_name": "TENANTS", "subjects": [">"],
                    "durable_consumer_name": f"centrifugo-{uuid.uuid4().hex[:8]}",
                    "deliver_policy": "new", "max_ack_pending": 1024,
                    "publication_data_mode": {"enabled": True,
                                              "channels_header": "centrifugo-channels"}}}],
        }
        proc = start_centrifugo(workdir, config)
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/health", 30)
            pin(proc.pid, SERVER_CORE)
            await asyncio.sleep(0.5)
            base_rss, base_cpu = rss_bytes(proc.pid), cpu_seconds(proc.pid)
            client = Client(self.centrifugo_sessions(port, sessions))
            try:
                return await self.measure(proc.pid, client, sessions, events, rate, base_rss,
                                          base_cpu)
            finally:
                client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def start_centrifugo(workdir: Path, config: dict[str, object]) -> subprocess.Popen[bytes]:
    (workdir / "config.json").write_text(json.dumps(config))
    with open(workdir / "log", "wb") as log:
        return subprocess.Popen([tool("centrifugo"), "--config", "config.json"], cwd=workdir,
                                stdout=log, stderr=subprocess.STDOUT)


def ratios(ours: Result, peer: Result) -> str:
    def r(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "n/a"
    return ("ratio (notifier / centrifugo): CPU per frame "
            f"{r(ours.cpu_us_per_frame, peer.cpu_us_per_frame)} (goal <= 1) | frames/s "
            f"{r(ours.frames_per_second, peer.frames_per_second)} | p50 "
            f"{r(ours.p50_ms, peer.p50_ms)} | open time {r(ours.open_seconds, peer.open_seconds)}"
            f" (goal <= 1), CPU per open {r(ours.open_cpu_us, peer.open_cpu_us)}"
            f" | memory per idle session {r(ours.idle_kib, peer.idle_kib)}")


async def run(args: argparse.Namespace, server: NatsServer) -> None:
    nc = await nats.connect(**server.connect_options("admin"))
    await nc.jetstream().add_stream(StreamConfig.from_response(stream_config()))
    await nc.close()
    fanout = Fanout(server, args.users, args.admins)
    for workload in args.workload:
        sessions, events, rate = WORKLOADS[workload]
        sessions, events = args.sessions or sessions, args.events or events
        print(f"== {workload}: {sessions} sessions, {events} events at "
              f"{'flat out' if not rate else f'{rate:.0f}/s'}", flush=True)
        for round_ in range(args.rounds):
            ours = await fanout.notifier(sessions, events, rate)
            print(ours.line(f"notifier#{round_ + 1}"), flush=True)
            peer = await fanout.centrifugo(sessions, events, rate)
            print(peer.line(f"centrifugo#{round_ + 1}"), flush=True)
            print(ratios(ours, peer), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--sessions", type=int, help="override the workload's sessions")
    parser.add_argument("--events", type=int, help="override the workload's events")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--admins", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    args.workload = args.workload or ["flat", "paced"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))
    os.sched_setaffinity(0, {CLIENT_CORE} if (os.cpu_count() or 1) > 1 else {0})
    with temporary_nats_server("bench-fanout-") as server:
        pin(server.process.pid, CLIENT_CORE)  # type: ignore[union-attr]
        asyncio.run(run(args, server))


if __name__ == "__main__":
    main()
