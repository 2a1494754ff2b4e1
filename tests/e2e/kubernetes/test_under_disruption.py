"""Disruptions an operator causes, under steady load through the Services: `kubectl
delete pod` of the stream's leader, of a provisioner and of a notifier, then `kubectl
rollout restart` of the four Deployments at once and of the NATS StatefulSet, each
waited out until every pod is Ready again. Afterwards every invariant of the local
cluster's fault matrix holds (tests/e2e/cluster/harness.py): every stored request has
exactly one terminal event, no event was stored twice, every answer was 202 or an
honest 503 (or none, retried with the same key) and every request ended 202, the read
model equals the fold of the stream, and every socket, resumed after its notifier went,
got exactly the events it may see, in order. (Named to run last in this directory: it
replaces every pod.)"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from tests.e2e.kubernetes.deployed import (
    NAMESPACE,
    nats_password,
    pods_of,
    service_address,
    wait_for,
)
from tests.e2e.kubernetes.pods import NatsOnNode
from tests.e2e.kubernetes.test_platform_pods import SERVICES, assert_services_ready
from tests.e2e.kubernetes.test_pods import ready
from tests.e2e.kubernetes.testbed import ROOT

pytestmark = pytest.mark.timeout(1200)
STORED_BEFORE_EACH = 2  # requests the load stores on the settled platform before each step


def test_pod_deletions_and_rollout_restarts_under_load_lose_nothing(
        platform_on_node: list[dict[str, Any]], nats_on_node: NatsOnNode,
        jwt_key: RSAPrivateKey, tmp_path: Path) -> None:
    kube = nats_on_node.kube
    settled = _settled(platform_on_node, nats_on_node)
    settled()
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(jwt_key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    load = subprocess.Popen(
        [*kube.in_netns, sys.executable, "-m", "tests.e2e.kubernetes.under_load",
         service_address(kube, "api"), service_address(kube, "notifier"), str(key_file),
         str(nats_on_node.tls.ca), nats_password("admin"), *_nats_addresses(nats_on_node)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=(tmp_path / "load.err").open("w"),
        text=True, cwd=ROOT)
    assert load.stdin is not None and load.stdout is not None
    try:
        assert load.stdout.readline().strip() == "running", (tmp_path / "load.err").read_text()
        took: dict[str, float] = {}

        def load_flows() -> None:
            head = nats_on_node.probe()["last_seq"]
            wait_for("the load storing requests on the settled platform",
                     lambda: nats_on_node.probe()["last_seq"] >= head + STORED_BEFORE_EACH,
                     timeout=60)

        def disrupt(name: str, *kubectl: str) -> None:
            load_flows()
            started = time.monotonic()
            kube.kubectl("-n", NAMESPACE, *kubectl)  # a deletion returns once the pod is gone
            if kubectl[0] == "rollout":  # a restart returns at once: wait for its end
                for workload in _workloads(kubectl[2:]):
                    kube.kubectl("-n", NAMESPACE, "rollout", "status", workload,
                                 "--timeout=600s")
            settled()
            took[name] = time.monotonic() - started

        leader = nats_on_node.probe()["leader"]
        disrupt(f"delete the stream leader {leader}", "delete", "pod", leader)
        assert nats_on_node.probe()["leader"] != leader  # the leadership did move
        for service in ("provisioner", "notifier"):
            pod = pods_of(kube, {"app.kubernetes.io/name": service})[0]["metadata"]["name"]
            disrupt(f"delete {pod}", "delete", "pod", pod)
        # The four Deployments at once (the harder case: no service has an old pod to
        # fall back on), then the StatefulSet, whose pods go one at a time.
        disrupt("rollout restart every Deployment", "rollout", "restart", "deployment",
                *SERVICES)
        disrupt("rollout restart statefulset/nats", "rollout", "restart", "statefulset/nats")
        load_flows()
        load.stdin.write(json.dumps(_nats_addresses(nats_on_node)) + "\n")
        load.stdin.flush()
        out, _ = load.communicate(timeout=600)
    finally:
        load.kill()
        load.wait()
    assert load.returncode == 0, (tmp_path / "load.err").read_text()[-4000:]
    report = json.loads(out.splitlines()[-1])
    print(f"\n[kubernetes disruptions] {report} took "
          f"{ {name: round(seconds, 1) for name, seconds in took.items()} }")
    # Every notifier pod was replaced: every socket had to resume, and got all of it.
    assert all(n >= 1 for n in report["reconnects"]), report["reconnects"]


def _settled(platform: list[dict[str, Any]], nats: NatsOnNode) -> Callable[[], None]:
    def settled() -> None:
        wait_for("three NATS pods Ready, none terminating",
                 lambda: len(p := nats.pods()) == 3 and all(map(ready, p))
                 and not any(x["metadata"].get("deletionTimestamp") for x in p),
                 timeout=300, explain=lambda: [(x["metadata"]["name"], x["status"])
                                               for x in nats.pods()])
        assert_services_ready(platform, nats)
    return settled


def _workloads(args: tuple[str, ...]) -> list[str]:
    """`deployment a b` or `statefulset/nats` as rollout status takes them."""
    kind, *names = args
    return [f"{kind}/{name}" for name in names] if names else [kind]


def _nats_addresses(nats: NatsOnNode) -> list[str]:
    return [p["status"]["podIP"] for p in nats.pods()]
