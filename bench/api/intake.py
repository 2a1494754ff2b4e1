"""Intake side by side (not a test): POST /api/v1/tenants beside its limits, one run.

    bench/tools/install.sh                      # pinned vegeta
    uv run python bench/api/intake.py [--seconds 5]

Starts nats-server, PostgreSQL and the api, then, for 16 concurrent clients and
for 1, measures with vegeta (constant concurrency, every request a new slug):
the api's POST; a bare Litestar app decoding the same body on the same server
settings (bare_app.py); and a raw `js.publish` loop of the same event with the
same headers. The servers run on core 0, vegeta and the publisher on core 1.
Prints req/s, p50, p99 and the ratios to the limits (goals: 16 clients >= 0.5x
the bare app, p99 < 10 ms; 1 client p50 < 1.5 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nats
from nats.js.api import StreamConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from procstat import load_average, pin, tool

from tenant_contracts.access import Principal
from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantRequested
from tenant_contracts.stream import stream_config
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.ports import free_port
from tenantctl.postgres import PostgresCluster, create_database
from tenantctl.services import PlatformConfig, ServiceProcess, wait_http_ok
from tenantctl.tokens import mint_token

SECRET = "bench-secret-that-is-long-enough-for-hs256!"
SERVER_CORE, CLIENT_CORE = 0, 1
MAX_RATE = 8000  # targets per second of attack: every request needs a slug of its own


class Measure(dict[str, float]):
    def line(self, name: str) -> str:
        return (f"{name:<28} {self['rate']:8,.0f} req/s  p50 {self['p50']:6.2f} ms  "
                f"p99 {self['p99']:6.2f} ms  ok {self['ok']:.3f}  {load_average()}")


def targets(path: Path, url: str, tokens: list[str], count: int, prefix: str) -> None:
    # Creates spread over many owners, as in life: one owner's quota count would grow
    # with every create of the run and measure that instead.
    headers = [{"Authorization": [f"Bearer {token}"], "Content-Type": ["application/json"]}
               for token in tokens]
    with path.open("w") as out:
        for i in range(count):
            header = headers[i % len(headers)]
            body = json.dumps({"name": f"Bench {i}", "slug": f"{prefix}-{i}",
                               "admin_email": "bench@example.test", "plan": "free"})
            out.write(json.dumps({"method": "POST", "url": url, "header": header,
                                  "body": base64.b64encode(body.encode()).decode()}) + "\n")


def vegeta(url: str, tokens: list[str], clients: int, seconds: float, workdir: Path) -> Measure:
    prefix = uuid.uuid4().hex[:10]
    file = workdir / f"targets-{prefix}.json"
    targets(file, url, tokens, int(MAX_RATE * seconds), f"b{prefix}")
    attack = subprocess.run(
        ["taskset", "-c", str(CLIENT_CORE), tool("vegeta"), "attack", "-format=json",
         f"-targets={file}", "-rate=0", f"-workers={clients}", f"-max-workers={clients}",
         f"-duration={seconds}s", "-keepalive=true"], check=True, capture_output=True)
    report = json.loads(subprocess.run([tool("vegeta"), "report", "-type=json"],
                                       input=attack.stdout, check=True,
                                       capture_output=True).stdout)
    file.unlink()
    latencies = report["latencies"]
    return Measure(rate=report["throughput"], p50=latencies["50th"] / 1e6,
                   p99=latencies["99th"] / 1e6, ok=report["success"])


async def raw_publish(server: NatsServer, clients: int, seconds: float) -> Measure:
    nc = await nats.connect(**server.connect_options("api"))  # the api's own rights
    js = nc.jetstream()
    principal = Principal(sub="bench-user")
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def client() -> None:
        while time.monotonic() < deadline:
            event = TenantRequested(tenant_id=uuid.uuid4(), owner=principal.sub,
                                    actor=principal.sub, name="Bench",
                                    slug=f"r-{uuid.uuid4().hex[:12]}", plan="free",
                                    admin_email="bench@example.test")
            started = time.perf_counter()
            await js.publish(event_subject(event), encode_event(event), stream=STREAM_NAME,
                             headers=append_headers(event, 0))
            latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.monotonic() - started
    await nc.close()
    latencies.sort()
    return Measure(rate=len(latencies) / elapsed, p50=latencies[len(latencies) // 2] * 1e3,
                   p99=latencies[int(len(latencies) * 0.99) - 1] * 1e3, ok=1.0)


def run(args: argparse.Namespace, server: NatsServer, cluster: PostgresCluster) -> None:
    async def prepare() -> None:
        nc = await nats.connect(**server.connect_options("admin"))
        await nc.jetstream().add_stream(StreamConfig.from_response(stream_config()))
        await nc.close()
        await create_database(cluster.url(), "tenants")
    asyncio.run(prepare())
    workdir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    api_port, bare_port = free_port(), free_port()
    config = PlatformConfig(nats_url=server.url, nats_credentials=server.auth,
                            database_url=cluster.url("tenants"),
                            provisioner_database_url="unused", jwt_secret=SECRET,
                            api_port=api_port, notifier_port=0,
                            # Lift quota and rate for the run's creates (still checked in
                            # the create's transaction, as always).
                            extra_env={"LOG_LEVEL": "WARNING",
                                       "TENANT_QUOTA_PER_USER": "1000000000",
                                       "RATE_LIMIT_CREATES_PER_MINUTE": "1000000000"})
    api = ServiceProcess("api", config.env("api"), log_file=workdir / "api.log").start()
    bare = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_app.py")),
                             str(bare_port)], stderr=subprocess.DEVNULL)
    try:
        wait_http_ok(f"http://127.0.0.1:{api_port}/readyz", 60, api)
        wait_http_ok(f"http://127.0.0.1:{bare_port}/healthz", 30)
        assert api.process is not None
        pin(api.process.pid, SERVER_CORE)
        pin(bare.pid, SERVER_CORE)
        os.sched_setaffinity(0, {CLIENT_CORE})
        tokens = [mint_token(SECRET, f"bench-user-{i}") for i in range(1000)]
        vegeta(f"http://127.0.0.1:{api_port}/api/v1/tenants", tokens, 4, 1, workdir)  # warm up
        for round_ in range(args.rounds):
            for clients in (16, 1):
                print(f"== round {round_ + 1}, {clients} concurrent client(s), "
                      f"{args.seconds:g} s each", flush=True)
                ours = vegeta(f"http://127.0.0.1:{api_port}/api/v1/tenants", tokens, clients,
                              args.seconds, workdir)
                print(ours.line("api POST /api/v1/tenants"), flush=True)
                limit = vegeta(f"http://127.0.0.1:{bare_port}/api/v1/tenants", tokens, clients,
                               args.seconds, workdir)
                print(limit.line("bare Litestar, same body"), flush=True)
                raw = asyncio.run(raw_publish(server, clients, args.seconds))
                print(raw.line("raw js.publish, same headers"), flush=True)
                print(f"ratio api/bare {ours['rate'] / limit['rate']:.2f} (goal >= 0.5 at 16) "
                      f"| api/raw publish {ours['rate'] / raw['rate']:.2f}", flush=True)
    finally:
        bare.terminate()
        bare.wait()
        api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with temporary_nats_server("bench-intake-nats-") as server:
        cluster = PostgresCluster.temporary().init().start()
        try:
            run(args, server, cluster)
        finally:
            cluster.remove()


if __name__ == "__main__":
    main()
