"""deploy/k8s applied to the testbed as an operator applies it, and ways to look at it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from tenantctl.tls import make_local_ca
from tests.e2e.kubernetes.certificates import NatsTls
from tests.e2e.kubernetes.testbed import KubeTestbed
from tests.unit.k8s.render import rendered

NAMESPACE = "tenant-platform"
T = TypeVar("T")


@dataclass(frozen=True)
class Deployed:
    objects: list[dict[str, Any]]
    dry_run: subprocess.CompletedProcess[str]
    real: subprocess.CompletedProcess[str]


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60,
             explain: Callable[[], object] = lambda: "") -> T:
    """`explain` says, when time is up, what the cluster said meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what} {explain()}")
        time.sleep(0.25)


def as_yaml(objects: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


def nats_password(principal: str) -> str:
    return f"pw+{principal}/{'x' * 20}="


def create_secrets(kube: KubeTestbed, directory: Path, nats: NatsTls | None = None,
                   database: dict[str, str] | None = None) -> None:
    """The five Secrets of deploy/k8s/README.md (sections 2 and 3), with test values;
    for pods that really run, `nats` the certificate naming them and `database` the
    URLs of a PostgreSQL they reach."""
    ns = ("-n", NAMESPACE)
    passwords = [f"--from-literal={who}={nats_password(who)}" for who in
                 ("api", "provisioner", "notifier", "mailer", "operator", "admin")]
    kube.kubectl(*ns, "create", "secret", "generic", "nats-users", *passwords)
    database = database or {
        "DATABASE_URL": "postgresql://tenant_api:pw@db:5432/tenant_platform",
        "PROVISIONER_DATABASE_URL": "postgresql://tenant_provisioner:pw@db:5432/postgres"}
    kube.kubectl(*ns, "create", "secret", "generic", "tenant-platform-db",
                 *(f"--from-literal={key}={url}" for key, url in database.items()))
    kube.kubectl(*ns, "create", "secret", "generic", "tenant-platform-smtp",
                 "--from-literal=SMTP_URL=smtp://mailer:pw@smtp.internal:587?starttls=true")
    tls = make_local_ca(directory)
    nats = nats or NatsTls(tls.ca_file, tls.server_cert, tls.server_key)
    kube.kubectl(*ns, "create", "secret", "generic", "nats-tls",
                 f"--from-file=ca.crt={nats.ca}", f"--from-file=tls.crt={nats.cert}",
                 f"--from-file=tls.key={nats.key}")
    kube.kubectl(*ns, "create", "secret", "tls", "tenant-platform-tls",
                 f"--cert={tls.server_cert}", f"--key={tls.server_key}")


def deploy(kube: KubeTestbed, secrets_dir: Path) -> Deployed:
    """The base and the monitoring component as rendered for users (no overlay: with
    no kubelet, images, pull policy and addresses do not matter). A server-side dry
    run first, its answer kept for the tests, then the real apply."""
    for crd in sorted((kube.binaries / "crds").glob("*.yaml")):
        kube.kubectl("apply", "--server-side", "-f", str(crd))
    kube.kubectl("wait", "--for", "condition=Established", "--timeout", "60s",
                 "crd/servicemonitors.monitoring.coreos.com",
                 "crd/prometheusrules.monitoring.coreos.com")
    objects = rendered(monitoring=True)
    namespace = [o for o in objects if o["kind"] == "Namespace"]
    # A namespaced dry run needs its Namespace to exist: the README's first step.
    kube.kubectl("apply", "--server-side", "-f", "-", input=as_yaml(namespace))
    create_secrets(kube, secrets_dir)
    dry_run = kube.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-",
                           input=as_yaml(objects), check=False)
    real = kube.kubectl("apply", "--server-side", "-f", "-", input=as_yaml(objects),
                        check=False)
    return Deployed(objects, dry_run, real)


def pods_of(kube: KubeTestbed, selector: dict[str, str]) -> list[dict[str, Any]]:
    labels = ",".join(f"{k}={v}" for k, v in selector.items())
    return list(kube.get("-n", NAMESPACE, "pods", "-l", labels)["items"])


def events(kube: KubeTestbed, reason: str) -> list[str]:
    return [f"{e['involvedObject']['name']}: {e['message']}"
            for e in kube.get("-n", NAMESPACE, "events")["items"] if e.get("reason") == reason]


def service_address(kube: KubeTestbed, name: str) -> str:
    """The Service's ClusterIP:port (kube-proxy routes it inside the testbed's network
    namespace)."""
    spec = kube.get("-n", NAMESPACE, "service", name)["spec"]
    return f"{spec['clusterIP']}:{spec['ports'][0]['port']}"
