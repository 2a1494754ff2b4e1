"""The Kubernetes manifests wire every service the way the services expect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


def documents() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / resource).read_text()) if d]
    return docs


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def test_each_service_runs_its_module_with_config_and_secret() -> None:
    deployments = by_kind("Deployment")
    assert set(deployments) == {"api", "provisioner", "notifier"}
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", f"tenant_{name}"]
        sources = [next(iter(s.values()))["name"] for s in container["envFrom"]]
        assert sources == ["tenant-platform", "tenant-platform"]
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 0


def test_http_services_are_probed_on_their_health_routes() -> None:
    deployments = by_kind("Deployment")
    api = deployments["api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    notifier = deployments["notifier"]["spec"]["template"]["spec"]["containers"][0]
    assert notifier["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8001}
    assert notifier["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8001}


def test_stream_has_three_replicas_on_a_three_node_cluster() -> None:
    config = by_kind("ConfigMap")["tenant-platform"]["data"]
    assert config["STREAM_REPLICAS"] == "3"
    assert by_kind("StatefulSet")["nats"]["spec"]["replicas"] == 3
    assert "jetstream" in by_kind("ConfigMap")["nats-config"]["data"]["nats.conf"]


def test_websocket_path_routes_to_the_notifier() -> None:
    rules = by_kind("Ingress")["tenant-platform"]["spec"]["rules"][0]["http"]["paths"]
    routes = {p["path"]: p["backend"]["service"]["name"] for p in rules}
    assert routes == {"/ws": "notifier", "/": "api"}
