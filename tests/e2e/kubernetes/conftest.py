from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from tests.e2e.kubernetes.database import start_database
from tests.e2e.kubernetes.deployed import Deployed, deploy
from tests.e2e.kubernetes.jwks import serve_jwks
from tests.e2e.kubernetes.node import NODE_IP, POD_SUBNET, RealNodeTestbed
from tests.e2e.kubernetes.pods import NatsOnNode, deploy_nats, deploy_platform
from tests.e2e.kubernetes.testbed import KubeTestbed, build_binaries

# Package scope, not session: the control planes, kubelet and eleven pods go when this
# package ends instead of running (and taking CPU) beside the rest of the suite.


@pytest.fixture(scope="package")
def kube() -> Iterator[KubeTestbed]:
    """A real control plane for this package; its directory and processes go at the end,
    also when a step fails."""
    testbed = KubeTestbed(build_binaries()).start()
    yield testbed
    testbed.stop()


@pytest.fixture(scope="package")
def deployed(kube: KubeTestbed, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    return deploy(kube, tmp_path_factory.mktemp("nats-tls"))


@pytest.fixture(scope="package")
def real_node() -> Iterator[RealNodeTestbed]:
    """The control plane with one real node (containerd, kubelet, CoreDNS) in a private
    network namespace; all of it goes at the end, also when a step fails."""
    node = RealNodeTestbed(build_binaries())
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="package")
def nats_on_node(real_node: RealNodeTestbed, tmp_path_factory: pytest.TempPathFactory
                 ) -> NatsOnNode:
    assert real_node.kube is not None
    database = start_database(real_node.kube, NODE_IP, POD_SUBNET)
    return deploy_nats(real_node.kube, tmp_path_factory.mktemp("nats-on-node"), database)


@pytest.fixture(scope="package")
def jwt_key() -> RSAPrivateKey:
    """The identity provider's signing key: the pods learn its public half from the
    JWKS served on the node."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="package")
def platform_on_node(real_node: RealNodeTestbed, nats_on_node: NatsOnNode,
                     jwt_key: RSAPrivateKey) -> list[dict[str, Any]]:
    serve_jwks(nats_on_node.kube, jwt_key)
    return deploy_platform(real_node, nats_on_node)
