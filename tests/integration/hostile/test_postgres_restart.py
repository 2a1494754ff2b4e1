"""PostgreSQL stopped (`pg_ctl stop -m fast`) and started again while requests keep coming:
creates answer only 202, 4xx or 503 (with Retry-After), and every 202 settles.

A cluster and a nats-server of the test's own: stopping the session's cluster would
disturb every other test.
"""

from __future__ import annotations

import asyncio
import urllib.request
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster
from tests.conftest import unique_database, wait_until
from tests.e2e.harness import Platform

WORKERS = 4
SETTLED = {"Active", "Failed"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    own = PostgresCluster.temporary().init().start()
    yield own
    own.remove()


@pytest.fixture(scope="module")
def restart_nats() -> Iterator[NatsServer]:
    with temporary_nats_server("pg-restart-nats-") as server:
        yield server


@pytest.fixture
async def running(cluster: PostgresCluster, restart_nats: NatsServer) -> AsyncIterator[Platform]:
    if not (cluster.data_dir / "postmaster.pid").exists():
        cluster.start()  # a failed test may have left it stopped
    platform = Platform(
        nats_url=restart_nats.url, nats_credentials=restart_nats.auth,
        database_url=await unique_database(cluster, "restart"),
        provisioner_database_url=cluster.url("postgres"),
        extra_env={"PROVISIONER_BACKOFF_SECONDS": "0.5,1,1,1,1,1,1,1,1,1"})
    await asyncio.to_thread(platform.start, "api", "provisioner")
    yield platform
    await asyncio.to_thread(platform.stop)


@dataclass
class Load:
    """Creates tenants from a few workers until stopped; keeps every answer."""

    client: httpx.AsyncClient
    token: str
    statuses: Counter[int] = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)
    unavailable_without_retry_after: int = 0
    stopped: bool = False

    async def worker(self) -> None:
        while not self.stopped:
            slug = f"r-{uuid.uuid4().hex[:12]}"
            try:
                response = await self.client.post(
                    "/api/v1/tenants", headers={"Authorization": f"Bearer {self.token}"},
                    json={"name": "Restart", "slug": slug, "admin_email": "a@restart.test"})
            except httpx.TransportError:
                self.statuses[0] += 1  # no answer at all: counted, and refused below
                continue
            self.statuses[response.status_code] += 1
            if response.status_code == 202:
                self.accepted.append(response.json()["id"])
            elif response.status_code == 503:
                if "retry-after" not in response.headers:
                    self.unavailable_without_retry_after += 1
                await asyncio.sleep(0.05)  # as a client honouring Retry-After would, briefly


async def test_postgres_stopped_and_started_under_requests(
        running: Platform, cluster: PostgresCluster) -> None:
    async with httpx.AsyncClient(base_url=running.api_url, timeout=30) as client:
        load = Load(client, running.token("restarter"))
        workers = [asyncio.create_task(load.worker()) for _ in range(WORKERS)]
        try:
            await wait_until(lambda: len(load.accepted) >= 10, timeout=30)
            await asyncio.to_thread(cluster.stop, "fast")
            await wait_until(lambda: load.statuses[503] >= 5, timeout=30)
            await asyncio.to_thread(cluster.start)
            before = len(load.accepted)
            await wait_until(lambda: len(load.accepted) >= before + 10, timeout=60)
        finally:
            load.stopped = True
            await asyncio.gather(*workers)

        unexpected = {status: n for status, n in load.statuses.items()
                      if not (status in (202, 503) or 400 <= status < 500)}
        assert not unexpected, (unexpected, running.log("api")[-3000:])
        assert load.unavailable_without_retry_after == 0

        final: Counter[str] = Counter()

        async def settled() -> bool:
            page = await client.get("/api/v1/tenants?limit=100", headers={
                "Authorization": f"Bearer {running.token('admin', 'admin')}"})
            statuses = {t["id"]: t["status"] for t in page.json()["items"]}
            final.clear()
            final.update(statuses.get(tenant, "missing") for tenant in load.accepted)
            return set(final) <= SETTLED

        # Listed newest first, 100 at a time: a test of this size stays on one page.
        assert len(load.accepted) <= 100, len(load.accepted)
        await wait_until(settled, timeout=90, interval=0.5)
    print(f"\nanswers during the restart: {dict(load.statuses)}; "
          f"{len(load.accepted)} accepted, settled as {dict(final)}")
    assert_no_request_traceback(running)


async def test_a_cluster_refusing_connections_57p03_gives_503_with_retry_after(
        running: Platform, cluster: PostgresCluster) -> None:
    """A smart shutdown waits for open sessions and refuses new ones with SQLSTATE 57P03
    (CannotConnectNowError): held open by one session, the state lasts as long as we like."""
    token = running.token("smart")
    keeper = await asyncpg.connect(cluster.url("postgres"))
    stop = await asyncio.create_subprocess_exec(*cluster_stop_smart(cluster),
                                                stdout=asyncio.subprocess.DEVNULL)
    try:
        await wait_until(lambda: refuses_connections(cluster), timeout=20)
        # The api's pooled sessions go too, so that its next request needs a new one.
        await keeper.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'")
        async with httpx.AsyncClient(base_url=running.api_url, timeout=30) as client:
            response = await client.get("/api/v1/tenants",
                                        headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"].startswith("application/problem+json")
    finally:
        await keeper.close()
        await stop.wait()
        await asyncio.to_thread(cluster.start)
    assert_no_request_traceback(running)


def assert_no_request_traceback(platform: Platform) -> None:
    # The outage itself may be logged with its traceback (the projection runner does,
    # and restarts); no request may end in one. The api counts every answer by status,
    # an unhandled error as a 500 (its metrics middleware): only 503 may be a 5xx.
    with urllib.request.urlopen(f"{platform.api_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    answered = [sample for family in text_string_to_metric_families(text)
                if family.name == "api_http_requests" for sample in family.samples
                if sample.name == "api_http_requests_total"]
    assert answered, text[-2000:]
    failed = [s.labels for s in answered
              if s.labels["status"].startswith("5") and s.labels["status"] != "503"]
    assert not failed, (failed, platform.log("api")[-4000:])


def cluster_stop_smart(cluster: PostgresCluster) -> list[str]:
    from tenantctl.postgres import _as_user, pg_bin

    return _as_user([pg_bin("pg_ctl"), "-D", str(cluster.data_dir), "-m", "smart", "-w",
                     "-t", "60", "stop"])


async def refuses_connections(cluster: PostgresCluster) -> bool:
    try:
        conn = await asyncpg.connect(cluster.url("postgres"))
    except asyncpg.exceptions.CannotConnectNowError:
        return True
    await conn.close()
    return False
