"""deploy/k8s meets a real API server: what `kubectl apply -k deploy/k8s` does on a
cluster, judged by the server itself (schemas, defaults, admission, the
controllers), not by our reading of the manifests."""

from __future__ import annotations

import copy
import json

import pytest

from tests.e2e.kubernetes.deployed import NAMESPACE, Deployed, as_yaml, events, pods_of, wait_for
from tests.e2e.kubernetes.testbed import KubeTestbed
from tests.unit.k8s.render import workloads

RESTRICTED_REFUSAL = 'violates PodSecurity "restricted:latest"'

# A cold machine builds the control plane first (./platform test does it earlier).
pytestmark = pytest.mark.timeout(1200)


def test_the_control_plane_is_the_pinned_release(kube: KubeTestbed) -> None:
    version = json.loads(kube.kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == "v1.36.3"


def test_every_object_passes_a_server_side_dry_run_without_a_warning(
        deployed: Deployed) -> None:
    assert deployed.dry_run.returncode == 0, deployed.dry_run.stderr
    # Pod Security `warn` judges each workload's pod template at admission: a
    # template that would be refused prints a warning here.
    assert "Warning" not in deployed.dry_run.stderr, deployed.dry_run.stderr
    assert deployed.dry_run.stdout.count("(server dry run)") == len(deployed.objects)


def test_every_object_is_stored(kube: KubeTestbed, deployed: Deployed) -> None:
    assert deployed.real.returncode == 0, deployed.real.stderr
    assert "Warning" not in deployed.real.stderr, deployed.real.stderr
    for obj in deployed.objects:
        meta = obj["metadata"]
        where = ["-n", meta["namespace"]] if "namespace" in meta else []
        group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
        kind = f"{obj['kind'].lower()}.{group}" if group else obj["kind"].lower()
        stored = kube.get(*where, kind, meta["name"])["metadata"]
        assert meta.get("labels", {}).items() <= stored.get("labels", {}).items(), \
            f"{obj['kind']}/{meta['name']}"


def test_the_controllers_create_every_workload_pod_under_restricted_pod_security(
        kube: KubeTestbed, deployed: Deployed) -> None:
    namespace = kube.get("namespace", NAMESPACE)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for work in workloads():
        replicas = work.obj["spec"]["replicas"]
        selector = work.obj["spec"]["selector"]["matchLabels"]
        wait_for(f"{work.kind}/{work.name}: {replicas} pods admitted",
                 lambda s=selector, r=replicas: len(pods_of(kube, s)) == r or None,  # type: ignore[misc]
                 explain=lambda: events(kube, "FailedCreate"))
    assert events(kube, "FailedCreate") == []


def test_a_pod_that_breaks_restricted_is_refused(kube: KubeTestbed, deployed: Deployed) -> None:
    """The check above bites: the api's Deployment, let escalate privileges, gets no pod."""
    probe = copy.deepcopy(next(w for w in workloads() if w.name == "api").obj)
    probe["metadata"]["name"] = "pss-probe"
    labels = {"app.kubernetes.io/name": "pss-probe"}
    probe["spec"]["selector"] = {"matchLabels": labels}
    probe["spec"]["template"]["metadata"]["labels"] = labels
    probe["spec"]["replicas"] = 1
    probe["spec"]["template"]["spec"]["containers"][0]["securityContext"][
        "allowPrivilegeEscalation"] = True
    try:
        out = kube.kubectl("apply", "--server-side", "-f", "-", input=as_yaml([probe]))
        assert "would violate PodSecurity" in out.stderr, out.stderr
        refusals = wait_for("a FailedCreate for the escalating pod", lambda: [
            r for r in events(kube, "FailedCreate")
            if r.startswith("pss-probe") and RESTRICTED_REFUSAL in r])
        assert "allowPrivilegeEscalation != false" in refusals[0], refusals
        assert pods_of(kube, labels) == []
    finally:
        kube.kubectl("-n", NAMESPACE, "delete", "deployment", "pss-probe", check=False)


def test_every_credential_comes_from_a_secret_that_holds_it(
        kube: KubeTestbed, deployed: Deployed) -> None:
    secrets = {s["metadata"]["name"]: set(s.get("data", {}))
               for s in kube.get("-n", NAMESPACE, "secrets")["items"]}
    checked = 0
    for work in workloads():
        for pod in pods_of(kube, work.obj["spec"]["selector"]["matchLabels"]):
            spec, name = pod["spec"], pod["metadata"]["name"]
            for container in [*spec.get("initContainers", []), *spec["containers"]]:
                for var in container.get("env", []):
                    secret_like = any(w in var["name"] for w in ("PASSWORD", "DATABASE_URL"))
                    assert not (secret_like and "value" in var), f"{name}: {var['name']} inline"
                    ref = var.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        assert ref["key"] in secrets.get(ref["name"], set()), f"{name}: {ref}"
                        checked += 1
            for volume in spec.get("volumes", []):
                if "secret" in volume:
                    assert volume["secret"]["secretName"] in secrets, f"{name}: {volume}"
    assert checked >= 8 + 3 * 6  # a password or URL per service pod, six per NATS pod


def test_every_budget_and_service_selects_the_pods_it_is_for(
        kube: KubeTestbed, deployed: Deployed) -> None:
    # The disruption controller counts the pods a budget covers: a selector that
    # matches nothing would leave a drain unguarded and show 0 here.
    replicas = {w.name: w.obj["spec"]["replicas"] for w in workloads()}
    budgets = [o for o in deployed.objects if o["kind"] == "PodDisruptionBudget"]
    assert {b["metadata"]["name"] for b in budgets} == set(replicas)
    for budget in budgets:
        name = budget["metadata"]["name"]
        expected = wait_for(f"PodDisruptionBudget/{name} observed", lambda n=name: kube.get(  # type: ignore[misc]
            "-n", NAMESPACE, "pdb", n).get("status", {}).get("expectedPods"))
        assert expected == replicas[name], f"PodDisruptionBudget/{name}"
    for service in (o for o in deployed.objects if o["kind"] == "Service"):
        assert pods_of(kube, service["spec"]["selector"]), \
            f"Service/{service['metadata']['name']} selects no pod"
