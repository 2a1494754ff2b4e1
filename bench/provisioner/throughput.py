"""Provisioning throughput: two provisioner processes versus a raw createdb loop.

Not a test: it prints figures. Run with `uv run python bench/provisioner/throughput.py
[--tenants 100]`. It starts its own nats-server and PostgreSQL cluster, so both
sides run against the same, otherwise idle PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import asyncpg
import nats
from nats.aio.msg import Msg

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantRequested
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenant_provisioner.schema_migrations import migrations
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster, pg_bin
from tenantctl.services import ServiceProcess


async def provisioners(server: NatsServer, pg: PostgresCluster, tenants: int, processes: int,
                       concurrency: int) -> float:
    env = {**os.environ, **server.env("provisioner"), "PROVISIONER_DATABASE_URL": pg.url(),
           "PROVISIONER_CONCURRENCY": str(concurrency), "LOG_LEVEL": "WARNING"}
    # a copy each: ServiceProcess picks each its own PROVISIONER_PORT in its env
    running = [ServiceProcess("provisioner", dict(env)).start() for _ in range(processes)]
    nc = await nats.connect(**server.connect_options("admin"))
    try:
        js = nc.jetstream()
        while True:  # the provisioners create the stream and their consumer
            try:
                await js.consumer_info(STREAM_NAME, "provisioner")
                break
            except Exception:
                await asyncio.sleep(0.1)
        done = asyncio.Event()
        active: set[str] = set()

        async def on_active(msg: Msg) -> None:
            active.add(msg.subject)
            if len(active) == tenants:
                done.set()

        await nc.subscribe("tenants.*.active", cb=on_active)
        started = time.perf_counter()
        for i in range(tenants):
            slug = f"bench-{uuid.uuid4().hex[:8]}-{i}"
            event = TenantRequested(tenant_id=uuid.uuid4(), owner="bench", actor="bench",
                                    name=slug, slug=slug, plan="free",
                                    admin_email=f"admin@{slug}.example")
            await js.publish(event_subject(event), encode_event(event), stream=STREAM_NAME,
                             headers=append_headers(event, 0))
        await asyncio.wait_for(done.wait(), timeout=600)
        return time.perf_counter() - started
    finally:
        await nc.close()
        for process in running:
            process.stop()


async def raw_loop(pg: PostgresCluster, tenants: int, workers: int) -> float:
    env = {**os.environ, "PGPASSWORD": pg.password}
    sql = [m.sql for m in migrations()]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(tenants):
        queue.put_nowait(f"raw_{uuid.uuid4().hex[:8]}_{i}")

    async def worker() -> None:
        while not queue.empty():
            name = queue.get_nowait()
            created = await asyncio.create_subprocess_exec(
                pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
                name, env=env)
            if await created.wait() != 0:
                raise RuntimeError(f"createdb {name} failed")
            conn = await asyncpg.connect(pg.url(name))
            try:
                for statement in sql:
                    await conn.execute(statement)
            finally:
                await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4, help="per provisioner process")
    args = parser.parse_args()
    with temporary_nats_server("bench-nats-") as server:
        await measure(args, server)


async def measure(args: argparse.Namespace, server: NatsServer) -> None:
    pg = PostgresCluster.temporary().init().start()
    try:
        n = args.tenants
        print(f"{n} tenants, PostgreSQL {pg.port}, {os.cpu_count()} cores", flush=True)
        seconds = await provisioners(server, pg, n, 2, args.concurrency)
        print(f"two provisioners (concurrency {args.concurrency} each): {seconds:6.2f} s "
              f"= {n / seconds:6.2f} tenants/s  (request to TenantActive, all stages + events)")
        for workers in (1, 2):
            seconds = await raw_loop(pg, n, workers)
            print(f"raw createdb + migrations, {workers} loop(s):          {seconds:6.2f} s "
                  f"= {n / seconds:6.2f} tenants/s")
    finally:
        pg.remove()


if __name__ == "__main__":
    asyncio.run(main())
