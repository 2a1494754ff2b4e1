"""deploy/k8s as the cluster receives it: rendered by the pinned kustomize."""

from __future__ import annotations

import copy
import functools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
MONITORING = K8S / "components" / "monitoring"
KUSTOMIZE_VERSION = "v5.7.1"  # the same pin as ./platform's ensure_kustomize
SERVICES = ("api", "provisioner", "notifier", "mailer")

Obj = dict[str, Any]


def kustomize() -> str:
    """The pinned kustomize: on PATH (./platform test puts it there) or in GOPATH/bin."""
    candidates = [shutil.which("kustomize")]
    go = shutil.which("go")
    if go:
        gopath = subprocess.run([go, "env", "GOPATH"], capture_output=True, text=True,
                                check=True).stdout.strip()
        candidates.append(str(Path(gopath) / "bin" / "kustomize"))
    for candidate in filter(None, candidates):
        if os.access(candidate, os.X_OK):
            version = subprocess.run([candidate, "version"], capture_output=True, text=True,
                                     check=False).stdout.strip()
            if version == KUSTOMIZE_VERSION:
                return candidate
    raise AssertionError(f"kustomize {KUSTOMIZE_VERSION} not found: run ./platform test, or "
                         f"go install sigs.k8s.io/kustomize/kustomize/v5@{KUSTOMIZE_VERSION}")


def build(directory: Path) -> list[Obj]:
    out = subprocess.run([kustomize(), "build", str(directory)], capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@functools.cache
def _base() -> tuple[Obj, ...]:
    return tuple(build(K8S))


@functools.cache
def _with_monitoring() -> tuple[Obj, ...]:
    # An overlay as an operator writes one: the base plus the optional component
    # (kustomize takes relative paths only, and no overlay nested in its base).
    with tempfile.TemporaryDirectory(prefix="k8s-overlay-") as overlay:
        Path(overlay, "kustomization.yaml").write_text(yaml.safe_dump({
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": [os.path.relpath(K8S, overlay)],
            "components": [os.path.relpath(MONITORING, overlay)]}))
        return tuple(build(Path(overlay)))


def rendered(monitoring: bool = False) -> list[Obj]:
    """A fresh copy each time: a test may change what it gets."""
    return copy.deepcopy(list(_with_monitoring() if monitoring else _base()))


def by_kind(kind: str, monitoring: bool = False) -> dict[str, Obj]:
    return {d["metadata"]["name"]: d for d in rendered(monitoring) if d["kind"] == kind}


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    obj: Obj

    @property
    def pod(self) -> Obj:
        return dict(self.obj["spec"]["template"]["spec"])

    @property
    def pod_labels(self) -> dict[str, str]:
        return dict(self.obj["spec"]["template"]["metadata"]["labels"])

    def containers(self) -> list[Obj]:
        return [*self.pod.get("initContainers", []), *self.pod["containers"]]


def workloads() -> list[Workload]:
    kinds = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
    return [Workload(d["kind"], d["metadata"]["name"], d) for d in rendered()
            if d["kind"] in kinds]


def workload(name: str) -> Workload:
    return next(w for w in workloads() if w.name == name)


def container_env(work: Workload, container: Obj) -> dict[str, Obj]:
    """Every variable the container gets: from ConfigMaps (envFrom) as {"value": ...},
    from `env` as written (value or valueFrom)."""
    config_maps = by_kind("ConfigMap")
    env: dict[str, Obj] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, f"{work.name}: envFrom only from ConfigMaps"
        data = config_maps[source["configMapRef"]["name"]]["data"]
        env.update({key: {"value": value} for key, value in data.items()})
    for item in container.get("env", []):
        env[item["name"]] = {k: v for k, v in item.items() if k != "name"}
    return env
