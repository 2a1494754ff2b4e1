"""The platform team's rules for a workload, each a function that lists what breaks it
(an empty list: the workload passes). Kept apart from the tests so that a test can
show each rule catching a broken copy."""

from __future__ import annotations

from tests.unit.k8s.render import Obj, Workload

# Pod Security Standard `restricted` (Kubernetes 1.25+): the volume types it admits.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}
SECCOMP_OK = {"RuntimeDefault", "Localhost"}


def restricted_violations(work: Workload) -> list[str]:
    pod, problems = work.pod, []
    pod_sc = pod.get("securityContext", {})
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            problems.append(f"{work.name}: {flag}")
    for volume in pod.get("volumes", []):
        kind = next(k for k in volume if k != "name")
        if kind not in RESTRICTED_VOLUMES:
            problems.append(f"{work.name}: volume {volume['name']} is {kind}")
    if pod_sc.get("runAsUser") == 0:
        problems.append(f"{work.name}: pod runs as uid 0")
    for c in work.containers():
        sc, where = c.get("securityContext", {}), f"{work.name}/{c['name']}"
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) in (0, None):
            # Without a numeric uid the kubelet can verify runAsNonRoot only against
            # the image's USER; the manifests say it.
            problems.append(f"{where}: no non-zero runAsUser")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            problems.append(f"{where}: privileged")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            problems.append(f"{where}: capabilities do not drop ALL")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{where}: adds capabilities {caps['add']}")
        seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {})).get("type")
        if seccomp not in SECCOMP_OK:
            problems.append(f"{where}: seccompProfile is {seccomp}")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: root filesystem is writable")
        if any("hostPort" in p for p in c.get("ports", [])):
            problems.append(f"{where}: hostPort")
    return problems


def resource_violations(work: Workload) -> list[str]:
    problems = []
    for c in work.containers():
        resources = c.get("resources", {})
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(bound, {}):
                    problems.append(f"{work.name}/{c['name']}: no {resource} {bound}")
    return problems


def probe_violations(work: Workload) -> list[str]:
    problems = []
    for c in work.pod["containers"]:
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in c:
                problems.append(f"{work.name}/{c['name']}: no {probe}")
    return problems


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    match = selector.get("matchLabels", {})
    expressions = selector.get("matchExpressions", [])
    return all(labels.get(k) == v for k, v in match.items()) and all(
        (labels.get(e["key"]) in e["values"]) == (e["operator"] == "In")
        for e in expressions) and bool(match or expressions)


def availability_violations(work: Workload, pdbs: list[Obj]) -> list[str]:
    problems = []
    if not any(selects(p["spec"]["selector"], work.pod_labels) for p in pdbs):
        problems.append(f"{work.name}: no PodDisruptionBudget selects its pods")
    spread = work.pod.get("topologySpreadConstraints", [])
    if not any(s["topologyKey"] == "kubernetes.io/hostname"
               and selects(s["labelSelector"], work.pod_labels) for s in spread):
        problems.append(f"{work.name}: not spread across nodes")
    if work.obj["spec"].get("replicas", 1) < 2:
        problems.append(f"{work.name}: a single replica cannot survive a drain")
    return problems
