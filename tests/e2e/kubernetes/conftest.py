from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.kubernetes.deployed import Deployed, deploy
from tests.e2e.kubernetes.node import RealNodeTestbed
from tests.e2e.kubernetes.pods import NatsOnNode, deploy_nats
from tests.e2e.kubernetes.testbed import KubeTestbed, build_binaries


@pytest.fixture(scope="session")
def kube() -> Iterator[KubeTestbed]:
    """A real control plane for the session; its directory and processes go at the end,
    also when a step fails."""
    testbed = KubeTestbed(build_binaries()).start()
    yield testbed
    testbed.stop()


@pytest.fixture(scope="session")
def deployed(kube: KubeTestbed, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    return deploy(kube, tmp_path_factory.mktemp("nats-tls"))


@pytest.fixture(scope="session")
def real_node() -> Iterator[KubeTestbed]:
    """The control plane with one real node (containerd, kubelet, CoreDNS) in a private
    network namespace; all of it goes at the end, also when a step fails."""
    node = RealNodeTestbed(build_binaries())
    yield node.start()
    node.stop()


@pytest.fixture(scope="session")
def nats_on_node(real_node: KubeTestbed, tmp_path_factory: pytest.TempPathFactory
                 ) -> NatsOnNode:
    return deploy_nats(real_node, tmp_path_factory.mktemp("nats-on-node"))
