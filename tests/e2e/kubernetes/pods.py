"""deploy/k8s running for real on the one-node testbed, applied through the test
overlay (overlay/kustomization.yaml): NATS first, then the services."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.kubernetes.certificates import NatsTls, nats_tls
from tests.e2e.kubernetes.deployed import NAMESPACE, as_yaml, create_secrets, nats_password
from tests.e2e.kubernetes.node import RealNodeTestbed
from tests.e2e.kubernetes.project_image import build_project_image
from tests.e2e.kubernetes.testbed import ROOT, KubeTestbed
from tests.unit.k8s.render import build

OVERLAY = Path(__file__).parent / "overlay"
NATS_LABELS = "app.kubernetes.io/name=nats"


@dataclass(frozen=True)
class NatsOnNode:
    kube: KubeTestbed
    tls: NatsTls
    objects: list[dict[str, Any]]

    def pods(self) -> list[dict[str, Any]]:
        return list(self.kube.get("-n", NAMESPACE, "pods", "-l", NATS_LABELS)["items"])

    def probe(self) -> dict[str, Any]:
        """The TENANTS stream's cluster state, after creating it with three replicas as
        the admin principal (from inside the testbed's network namespace)."""
        addresses = [p["status"]["podIP"] for p in self.pods()]
        out = subprocess.run([*self.kube.in_netns, sys.executable, "-m",
                              "tests.e2e.kubernetes.nats_probe", str(self.tls.ca),
                              nats_password("admin"), *addresses],
                             capture_output=True, text=True, cwd=ROOT, check=False, timeout=60)
        assert out.returncode == 0, out.stderr[-3000:]
        return dict(json.loads(out.stdout))


def nats_objects() -> list[dict[str, Any]]:
    """The Namespace and everything of NATS in the overlay's rendering: the services'
    image is not built here yet, so their Deployments are left out."""
    return [o for o in build(OVERLAY)
            if o["kind"] == "Namespace" or o["metadata"]["name"].startswith("nats")]


def deploy_nats(kube: KubeTestbed, directory: Path, database: dict[str, str]) -> NatsOnNode:
    objects = nats_objects()
    kube.kubectl("apply", "--server-side", "-f", "-",
                 input=as_yaml([o for o in objects if o["kind"] == "Namespace"]))
    tls = nats_tls(directory / "nats")
    create_secrets(kube, directory / "other", nats=tls, database=database)
    kube.kubectl("apply", "--server-side", "-f", "-", input=as_yaml(objects))
    return NatsOnNode(kube, tls, objects)


def deploy_platform(node: RealNodeTestbed, nats: NatsOnNode) -> list[dict[str, Any]]:
    """The rest of the overlay (the four services' Deployments, Services, PDBs,
    Ingress, NetworkPolicies) once the project's image is on the node; NATS, applied
    first, starts meanwhile."""
    node.import_image(build_project_image(nats.kube.workdir / "image"))
    objects = build(OVERLAY)
    nats.kube.kubectl("apply", "--server-side", "-f", "-", input=as_yaml(objects))
    return objects
