"""The platform used through its Services, as clients inside the cluster use it:
kube-proxy routes the api's and the notifier's ClusterIPs to their pods, and the
pods verify the test's tokens against the JWKS served on the node."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from tests.e2e.kubernetes.deployed import service_address
from tests.e2e.kubernetes.jwks import token
from tests.e2e.kubernetes.pods import NatsOnNode
from tests.e2e.kubernetes.test_platform_pods import assert_services_ready
from tests.e2e.kubernetes.testbed import ROOT

pytestmark = pytest.mark.timeout(900)
JOURNEY = ["TenantRequested", "TenantProvisioning", "TenantProgress", "TenantProgress",
           "TenantProgress", "TenantProgress", "TenantActive"]


def test_a_tenant_created_through_the_api_service_reaches_active_on_the_notifier_service(
        platform_on_node: list[dict[str, Any]], nats_on_node: NatsOnNode,
        jwt_key: RSAPrivateKey) -> None:
    assert_services_ready(platform_on_node, nats_on_node)
    kube = nats_on_node.kube

    api, notifier = service_address(kube, "api"), service_address(kube, "notifier")
    out = subprocess.run([*kube.in_netns, sys.executable, "-m",
                          "tests.e2e.kubernetes.through_services", api, notifier,
                          token(jwt_key, "alice"), "through-services"],
                         capture_output=True, text=True, cwd=ROOT, check=False, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:] + kube.logs()[-3000:]
    seen = json.loads(out.stdout)
    assert (seen["ready"], seen["welcome"], seen["created"], seen["status"]) == (
        200, "welcome", 202, "Active")
    assert [h["type"] for h in seen["history"]] == JOURNEY
    # Both sockets: every event of the tenant, once each, in the stream's order.
    assert seen["live"] == seen["history"]
    assert seen["resumed"] == seen["history"]
