"""Real pods of the whole platform: the image built from deploy/k8s/Dockerfile (on a
local Debian base), the api, provisioner, notifier and mailer Deployments applied
through the test overlay, each pod Ready through its own probes: its readiness asks for
NATS (over TLS, as its own principal, with the password from `nats-users`), the
TENANTS stream and, for the api and the provisioner, PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.kubernetes.deployed import NAMESPACE, events, wait_for
from tests.e2e.kubernetes.pods import NatsOnNode
from tests.e2e.kubernetes.project_image import PODMAN_RUN, PROJECT_IMAGE, podman_env
from tests.e2e.kubernetes.test_pods import ready

pytestmark = pytest.mark.timeout(900)
SERVICES = ("api", "provisioner", "notifier", "mailer")


def test_every_service_pod_is_ready_through_its_own_probes(
        platform_on_node: list[dict[str, Any]], nats_on_node: NatsOnNode) -> None:
    assert_services_ready(platform_on_node, nats_on_node)


def assert_services_ready(platform_on_node: list[dict[str, Any]], nats_on_node: NatsOnNode
                          ) -> None:
    """Waits for it: other tests of the platform start from here."""
    kube = nats_on_node.kube
    replicas = {o["metadata"]["name"]: o["spec"]["replicas"] for o in platform_on_node
                if o["kind"] == "Deployment"}
    assert set(replicas) == set(SERVICES)

    def service_pods() -> dict[str, list[dict[str, Any]]]:
        return {name: kube.get("-n", NAMESPACE, "pods", "-l",
                               f"app.kubernetes.io/name={name}")["items"]
                for name in SERVICES}

    def all_ready() -> bool:
        pods = service_pods()
        return all(len(pods[n]) == replicas[n] and all(map(ready, pods[n])) for n in SERVICES)

    wait_for("every service pod Ready", all_ready, timeout=240,
             explain=lambda: {n: [(p["metadata"]["name"], p["status"].get("containerStatuses"))
                                  for p in ps] for n, ps in service_pods().items()})
    assert events(kube, "FailedCreate") == []
    for name, pods in service_pods().items():
        for pod in pods:
            (container,) = pod["status"]["containerStatuses"]
            assert container["image"] == PROJECT_IMAGE, name
            assert "running" in container["state"], (name, container)


def test_podman_keeps_its_run_state_where_it_is_told(
        platform_on_node: list[dict[str, Any]], tmp_path: Path) -> None:
    """The image build's podman uses the stable paths it is given, not those of the
    first run its database remembers (it would recreate that run's directory)."""
    info = json.loads(subprocess.run(
        ["podman", "info", "--format", "json"], env=podman_env(tmp_path),
        capture_output=True, text=True, check=True).stdout)
    assert info["store"]["runRoot"] == str(PODMAN_RUN / "run")
    assert info["host"]["ociRuntime"]["name"] == "runc"
