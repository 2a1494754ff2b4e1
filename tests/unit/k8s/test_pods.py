"""Every pod passes the platform team's rules: Pod Security `restricted`, requests and
limits, probes, a PDB and a spread across nodes; each rule is shown to bite."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tests.unit.k8s.policy import (
    availability_violations,
    probe_violations,
    resource_violations,
    restricted_violations,
    selects,
)
from tests.unit.k8s.render import SERVICES, Obj, Workload, by_kind, workload, workloads

Rule = Callable[[Workload], list[str]]
Change = Callable[[Obj], None]


def pdbs() -> list[Obj]:
    return list(by_kind("PodDisruptionBudget").values())


def test_the_namespace_enforces_the_restricted_pod_security_standard() -> None:
    labels = by_kind("Namespace")["tenant-platform"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_workloads_are_the_four_services_and_nats() -> None:
    assert {(w.kind, w.name) for w in workloads()} == {
        ("Deployment", "api"), ("Deployment", "provisioner"), ("Deployment", "notifier"),
        ("Deployment", "mailer"), ("StatefulSet", "nats")}


@pytest.mark.parametrize("rule", [restricted_violations, resource_violations,
                                  probe_violations])
def test_every_workload_passes(rule: Rule) -> None:
    assert [p for w in workloads() for p in rule(w)] == []


def test_every_workload_has_a_pdb_a_spread_and_two_replicas_or_more() -> None:
    assert [p for w in workloads() for p in availability_violations(w, pdbs())] == []


def stripped(name: str, change: Change) -> Workload:
    work = workload(name)
    obj = copy.deepcopy(work.obj)
    change(obj["spec"]["template"]["spec"])
    return Workload(work.kind, work.name, obj)


def first_container(change: Change) -> Change:
    return lambda pod: change(pod["containers"][0])


@pytest.mark.parametrize(("rule", "change"), [
    (resource_violations, first_container(lambda c: c["resources"].pop("limits"))),
    (probe_violations, first_container(lambda c: c.pop("readinessProbe"))),
    (restricted_violations, first_container(lambda c: c.pop("securityContext"))),
    (restricted_violations, first_container(
        lambda c: c["securityContext"].update(allowPrivilegeEscalation=True))),
    (restricted_violations, lambda pod: pod["volumes"].append(
        {"name": "host", "hostPath": {"path": "/"}})),
])
def test_each_rule_catches_a_broken_copy(rule: Rule, change: Change) -> None:
    for name in (*SERVICES, "nats"):
        assert rule(stripped(name, change)), f"{rule.__name__} missed a broken {name}"


def test_a_missing_pdb_or_spread_is_caught() -> None:
    api = workload("api")
    others = [p for p in pdbs() if p["metadata"]["name"] != "api"]
    assert availability_violations(api, others) == ["api: no PodDisruptionBudget selects its pods"]
    unspread = stripped("api", lambda pod: pod.pop("topologySpreadConstraints"))
    assert availability_violations(unspread, pdbs()) == ["api: not spread across nodes"]


def test_nats_never_puts_two_nodes_of_the_cluster_on_one_kubernetes_node() -> None:
    pod = workload("nats").pod
    (term,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert selects(term["labelSelector"], workload("nats").pod_labels)
    (pdb,) = [p for p in pdbs() if p["metadata"]["name"] == "nats"]
    assert pdb["spec"]["maxUnavailable"] == 1  # two of three replicas: the stream's quorum


def test_pods_get_no_service_account_token_and_no_service_links() -> None:
    for work in workloads():
        assert work.pod["automountServiceAccountToken"] is False, work.name
        # Service links would put NATS_PORT=tcp://... (from the `nats` Service) in the env.
        assert work.pod["enableServiceLinks"] is False, work.name


def test_writable_paths_are_volumes_since_the_root_filesystem_is_read_only() -> None:
    for name in SERVICES:
        (container,) = workload(name).pod["containers"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert mounts["/tmp"] == "tmp"
        volumes = {v["name"]: v for v in workload(name).pod["volumes"]}
        assert "emptyDir" in volumes["tmp"]


def test_images_are_pinned() -> None:
    for work in workloads():
        for container in work.containers():
            image = container["image"]
            name, _, tag = image.rpartition(":")
            assert name and tag and tag != "latest", image


def test_pods_behind_a_service_serve_until_every_node_has_dropped_them() -> None:
    """The api's and the notifier's pods (the Services clients reach) wait out the
    endpoint update before SIGTERM, and their grace period covers that wait and the
    drain (uvicorn's 10 s; the notifier closes its sessions within its close timeout)."""
    for name in ("api", "notifier"):
        (container,) = workload(name).pod["containers"]
        wait = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert wait >= 5, name
        assert workload(name).pod["terminationGracePeriodSeconds"] >= wait + 10, name
