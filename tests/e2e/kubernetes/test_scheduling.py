"""The real scheduler places the pods on three nodes in three zones: the promises of
deploy/k8s/README.md about where replicas run (one NATS node per machine, each
service spread) hold, and the NATS rule is a requirement, not a preference."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.kubernetes.deployed import NAMESPACE, Deployed, events, pods_of, wait_for
from tests.e2e.kubernetes.testbed import NODES, KubeTestbed
from tests.unit.k8s.render import workloads

pytestmark = pytest.mark.timeout(1200)


def placed(kube: KubeTestbed, selector: dict[str, str], count: int) -> list[dict[str, Any]]:
    def all_bound() -> list[dict[str, Any]] | None:
        pods = pods_of(kube, selector)
        bound = [p for p in pods if p["spec"].get("nodeName")]
        return bound if len(pods) == count and len(bound) == count else None

    return wait_for(f"{count} pods of {selector} placed", all_bound,
                    explain=lambda: events(kube, "FailedScheduling"))


def test_every_replica_of_every_workload_gets_a_node_of_its_own(
        kube: KubeTestbed, deployed: Deployed) -> None:
    for work in workloads():
        replicas = work.obj["spec"]["replicas"]
        pods = placed(kube, work.obj["spec"]["selector"]["matchLabels"], replicas)
        nodes = {p["spec"]["nodeName"] for p in pods}
        assert len(nodes) == replicas, f"{work.name}: {replicas} replicas on {sorted(nodes)}"
        assert nodes <= set(NODES)


def test_a_fourth_nats_node_finds_no_machine(kube: KubeTestbed, deployed: Deployed) -> None:
    """Three machines hold three NATS pods; a fourth is refused by the required
    anti-affinity rather than doubled up with a replica (which would let one lost
    machine take two of the stream's three replicas)."""
    selector = {"app.kubernetes.io/name": "nats"}
    placed(kube, selector, 3)
    kube.kubectl("-n", NAMESPACE, "scale", "statefulset", "nats", "--replicas", "4")
    try:
        # The scheduler may first see the pod before the StatefulSet controller has made
        # its volume claim ("persistentvolumeclaim ... not found"); then it tries again.
        wait_for("nats-3 refused by the scheduler for its anti-affinity", lambda: [
            e for e in events(kube, "FailedScheduling")
            if e.startswith("nats-3") and "anti-affinity" in e],
            explain=lambda: events(kube, "FailedScheduling"))
        pod = kube.get("-n", NAMESPACE, "pod", "nats-3")
        assert not pod["spec"].get("nodeName")
    finally:
        kube.kubectl("-n", NAMESPACE, "scale", "statefulset", "nats", "--replicas", "3")
        wait_for("nats-3 gone", lambda: len(pods_of(kube, selector)) == 3 or None)
