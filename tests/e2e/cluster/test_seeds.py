"""NATS_URL is a seed list: a service starts and serves while a listed node is down."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tenantctl.nats_server import NatsCluster
from tenantctl.ports import free_port
from tenantctl.services import ServiceProcess, wait_http_ok
from tests.e2e.cluster.harness import ClusterPlatform


def test_a_service_starts_while_the_first_seed_is_down(
        nats_cluster: NatsCluster, cluster_platform: ClusterPlatform) -> None:
    dead = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    env = dict(cluster_platform.of("api")[0].process.env)
    port = free_port()
    env.update({"NATS_URL": f"{dead},{nats_cluster.url}", "API_PORT": str(port)})
    log = Path(tempfile.mkdtemp(prefix="tp-seeds-")) / "api.log"
    api = ServiceProcess("api", env, log_file=log).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/readyz", 60, api)
    finally:
        api.stop()
