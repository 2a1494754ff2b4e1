"""The fault matrix on a three-node cluster (R3, two replicas of each service):
steady POST load and 20 resuming WebSocket clients (some admin) while a node is
killed, paused or restarted; after each fault every invariant of harness.check_invariants
holds. Each test prints its figures (requests, codes, recovery time, frames checked)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from nats.aio.client import Client as NatsClient

from tenant_contracts.subjects import STREAM_NAME
from tenantctl.nats_server import NatsCluster, NatsServer
from tests.conftest import wait_until
from tests.e2e.cluster.harness import (
    ClusterPlatform,
    Load,
    ResumingClient,
    busiest_node,
    check_invariants,
    stream_leader,
    wait_settled,
)

LOAD_BEFORE_SECONDS = 4.0
LOAD_AFTER_SECONDS = 6.0
# Every replica ready again (feeds following, stream and consumer in place) after the
# node is back. Measured 0.3-9.7 s on the 2-core machine (the figure is printed);
# the bound leaves room for a loaded CI machine rather than fail on a slow second.
RECOVERY_SECONDS = 15.0


async def _run_fault(platform: ClusterPlatform, nc: NatsClient, name: str,
                     fault: Callable[[], Awaitable[str]]) -> None:
    users = [f"{name}-{uuid.uuid4().hex[:6]}-{i}" for i in range(4)]
    head = (await nc.jetstream().stream_info(STREAM_NAME)).state.last_seq
    clients = [ResumingClient(platform, user=users[i % 4], admin=i < 4, start_after=head)
               for i in range(20)]
    for client in clients:
        client.start()
    load = Load(platform, users)
    load.start()
    try:
        await asyncio.sleep(LOAD_BEFORE_SECONDS)  # steady load before the fault (not a wait)
        what = await fault()
        healed = time.monotonic()
        # Every replica ready again (its feed following the stream) within the bound.
        await wait_until(platform.all_ready, timeout=RECOVERY_SECONDS, interval=0.2)
        recovered = time.monotonic() - healed
        await asyncio.sleep(LOAD_AFTER_SECONDS)  # steady load after it
        await load.stop()
        await wait_settled(nc, load)
        report = await check_invariants(nc, platform, load, clients)
    finally:
        await load.stop()
        for client in clients:
            await client.stop()
    lags = sorted(lag for client in clients for lag in client.lags)
    print(f"\n[{name}] {what}: requests={report.requests} codes={report.codes} "
          f"tenants={report.tenants} stream_head={report.events} frames_checked={report.frames} "
          f"ready {recovered:.1f}s after healing, socket reconnects="
          f"{sum(c.reconnects for c in clients)}, frame lag p50 "
          f"{lags[len(lags) // 2]:.3f}s max {lags[-1]:.2f}s")


@pytest.fixture
async def fault_platform(cluster_platform: ClusterPlatform, cluster_nc: NatsClient,
                         nats_cluster: NatsCluster) -> AsyncIterator[ClusterPlatform]:
    await wait_until(platform_ready(cluster_platform, nats_cluster), timeout=90, interval=0.5)
    yield cluster_platform


def platform_ready(platform: ClusterPlatform, cluster: NatsCluster) -> Callable[[], bool]:
    def ready() -> bool:
        return all(n.running for n in cluster.nodes) and platform.all_ready()
    return ready


async def test_kill_the_stream_leader(fault_platform: ClusterPlatform, cluster_nc: NatsClient,
                                      nats_cluster: NatsCluster) -> None:
    async def kill_leader() -> str:
        leader = stream_leader(nats_cluster)
        leader.kill()
        await asyncio.sleep(5)  # down for 5 s under load
        leader.start()
        return f"killed leader {leader.name} for 5 s"

    await _run_fault(fault_platform, cluster_nc, "kill-leader", kill_leader)


async def test_kill_the_node_the_services_use(fault_platform: ClusterPlatform,
                                              cluster_nc: NatsClient,
                                              nats_cluster: NatsCluster) -> None:
    async def kill_busiest() -> str:
        node: NatsServer = busiest_node(nats_cluster)
        node.kill()
        await asyncio.sleep(5)  # down for 5 s under load
        node.start()
        return f"killed {node.name} (most service connections; leader " \
               f"{stream_leader(nats_cluster).name} now) for 5 s"

    await _run_fault(fault_platform, cluster_nc, "kill-busiest", kill_busiest)


async def test_pause_the_stream_leader_for_20_seconds(fault_platform: ClusterPlatform,
                                                      cluster_nc: NatsClient,
                                                      nats_cluster: NatsCluster) -> None:
    async def pause_leader() -> str:
        leader = stream_leader(nats_cluster)
        leader.pause()
        try:
            await asyncio.sleep(20)  # the fault's length, not a wait for a condition
        finally:
            leader.resume()
        return f"paused leader {leader.name} for 20 s"

    await _run_fault(fault_platform, cluster_nc, "pause-leader", pause_leader)


async def test_restart_every_node_in_turn(fault_platform: ClusterPlatform,
                                          cluster_nc: NatsClient,
                                          nats_cluster: NatsCluster) -> None:
    async def rolling_restart() -> str:
        for node in nats_cluster.nodes:
            node.stop()
            node.start()
            await asyncio.to_thread(nats_cluster.wait_ready, 30)
        return "restarted n1, n2, n3 in turn"

    await _run_fault(fault_platform, cluster_nc, "rolling-restart", rolling_restart)
