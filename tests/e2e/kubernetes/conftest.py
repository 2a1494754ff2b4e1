from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.kubernetes.deployed import Deployed, deploy
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
