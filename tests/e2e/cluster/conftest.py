"""One three-node cluster and one platform (two replicas of each service) for the
package; each test uses users of its own."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client as NatsClient

from tenantctl.nats_server import NatsCluster
from tenantctl.postgres import PostgresCluster
from tests.conftest import unique_database
from tests.e2e.cluster.harness import ClusterPlatform, admin_connection


@pytest.fixture(scope="package")
async def cluster_platform(nats_cluster: NatsCluster, postgres: PostgresCluster,
                           admin_database_url: str) -> AsyncIterator[ClusterPlatform]:
    read_model = await unique_database(postgres, "cluster")
    log_dir = Path(tempfile.mkdtemp(prefix="tp-cluster-logs-"))
    platform = ClusterPlatform(nats_cluster, read_model, admin_database_url, log_dir).start()
    yield platform
    platform.stop()
    shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture(scope="package")
async def cluster_nc(nats_cluster: NatsCluster,
                     cluster_platform: ClusterPlatform) -> AsyncIterator[NatsClient]:
    nc = await admin_connection(nats_cluster)
    yield nc
    await nc.close()
