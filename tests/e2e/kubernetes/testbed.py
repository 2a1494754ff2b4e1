"""A real Kubernetes control plane on loopback: etcd, kube-apiserver,
kube-controller-manager and kube-scheduler v1.36.3, built from the Go module proxy
by deploy/k8s/testbed/build.sh.

No kubelet here (node.py adds one real node): the nodes are Node objects (three,
one per zone) that no kubelet backs. Pods are created by the real controllers,
judged by the real admission chain (Pod Security `restricted` among it) and placed
by the real scheduler, then never start. The node lifecycle controller is off, so
the nodes stay Ready and untainted. The default StorageClass has no provisioner and
four volumes made in advance (as with local volumes), so the scheduler binds each
NATS claim to one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tenantctl.ports import free_port, wait_for_port
from tenantctl.tls import make_local_ca

ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "deploy" / "k8s" / "testbed" / "build.sh"
START_SECONDS = 60
ADMIN_TOKEN_USER = "testbed-admin"
NODES = {"node-a": "zone-a", "node-b": "zone-b", "node-c": "zone-c"}
VOLUMES, VOLUME_SIZE = 4, "20Gi"  # one more than NATS claims: a 4th replica lacks only a node
NODE_NAME = "node-real"  # the one node a kubelet backs (node.py)
# The default StorageClass of both testbeds: no provisioner, volumes made in advance
# (as with local volumes), bound when a pod is placed.
STORAGE_CLASS = {
    "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "testbed", "annotations": {
        "storageclass.kubernetes.io/is-default-class": "true"}},
    "provisioner": "kubernetes.io/no-provisioner",
    "volumeBindingMode": "WaitForFirstConsumer"}
NODE_ALLOCATABLE = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"}


def build_binaries() -> Path:
    """The directory of the pinned binaries (built once per machine, then reused)."""
    out = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"building the Kubernetes testbed failed:\n{out.stderr[-4000:]}")
    return Path(out.stdout.strip().splitlines()[-1])


@dataclass
class Process:
    name: str
    args: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        return self

    def check_running(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited while starting:\n{tail}")

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)


@dataclass
class KubeTestbed:
    binaries: Path
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kube-testbed-")))
    processes: list[Process] = field(default_factory=list)
    api_port: int = 0
    token: str = ""
    # With a real node (tests/e2e/kubernetes/node.py) everything runs inside a
    # private network namespace of that name, the control plane on its loopback.
    netns: str | None = None

    @property
    def in_netns(self) -> list[str]:
        """The prefix that runs a command in the testbed's network namespace. nsenter,
        not `ip netns exec`: that one also remounts /sys, which hides the cgroup
        mounts from kubelet."""
        return ["nsenter", f"--net=/run/netns/{self.netns}"] if self.netns else []

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    def start(self, fake_nodes: bool = True) -> KubeTestbed:
        try:
            self._start_etcd()
            self._start_apiserver()
            self._start_controller_manager(node_lifecycle=not fake_nodes)
            self._start_scheduler()
            if fake_nodes:
                self._add_nodes()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log.read_text(errors='replace')[-4000:]}"
                         for p in self.processes)

    def kubectl(self, *args: str, input: str | None = None, check: bool = True
                ) -> subprocess.CompletedProcess[str]:
        out = subprocess.run([*self.in_netns, str(self.binaries / "kubectl"), "--kubeconfig",
                              str(self.kubeconfig), *args],
                             input=input, capture_output=True, text=True, check=False)
        if check and out.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{out.stderr}")
        return out

    def get(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def _spawn(self, name: str, args: list[str]) -> Process:
        process = Process(name, [*self.in_netns, *args], self.workdir / f"{name}.log").start()
        self.processes.append(process)
        return process

    def _start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        process = self._spawn("etcd", [
            str(self.binaries / "etcd"), "--data-dir", str(self.workdir / "etcd"),
            "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
            "--listen-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-cluster", f"default=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync",  # a throw-away store: durability is not what is tested
            "--log-level", "warn"])
        self._wait_port(process, client)

    def _start_apiserver(self) -> None:
        self.tls = tls = make_local_ca(self.workdir / "tls")
        signing_key = self.workdir / "service-accounts.key"
        key = ec.generate_private_key(ec.SECP256R1())
        signing_key.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        verify_key = self.workdir / "service-accounts.pub"
        verify_key.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        self.token, self.node_token = os.urandom(24).hex(), os.urandom(24).hex()
        tokens = self.workdir / "tokens.csv"
        # system:masters: the test applies what a cluster admin applies.
        tokens.write_text(f'{self.token},{ADMIN_TOKEN_USER},1,"system:masters"\n'
                          # A kubelet's identity, for the Node authorizer and NodeRestriction.
                          f'{self.node_token},system:node:{NODE_NAME},2,"system:nodes"\n')
        self.api_port = free_port()
        process = self._spawn("kube-apiserver", [
            str(self.binaries / "kube-apiserver"),
            "--etcd-servers", self.etcd_url,
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
            "--secure-port", str(self.api_port),
            "--tls-cert-file", str(tls.server_cert), "--tls-private-key-file", str(tls.server_key),
            "--token-auth-file", str(tokens), "--authorization-mode", "Node,RBAC",
            "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file", str(verify_key),
            "--service-account-signing-key-file", str(signing_key),
            "--service-cluster-ip-range", "10.96.0.0/16",
            # The default admission chain (PodSecurity, ServiceAccount, LimitRanger...)
            # stays on: it is what judges the manifests.
            # Endpoints may not hold a loopback address: nothing reconciles the
            # `kubernetes` Service's endpoints on a loopback-only control plane.
            "--endpoint-reconciler-type", "none",
            "--enable-priority-and-fairness=false"])
        self._write_kubeconfig(tls.ca_file)
        deadline = time.monotonic() + START_SECONDS
        while self.kubectl("get", "--raw", "/readyz", check=False).returncode != 0:
            process.check_running()
            if time.monotonic() > deadline:
                raise TimeoutError(f"kube-apiserver not ready:\n{self.logs()}")
            time.sleep(0.2)

    def _start_controller_manager(self, node_lifecycle: bool) -> None:
        port = free_port()
        self._spawn("kube-controller-manager", [
            str(self.binaries / "kube-controller-manager"),
            "--kubeconfig", str(self.kubeconfig),
            "--authentication-kubeconfig", str(self.kubeconfig),
            "--authorization-kubeconfig", str(self.kubeconfig),
            "--bind-address", "127.0.0.1", "--secure-port", str(port),
            "--leader-elect=false",
            "--service-account-private-key-file", str(self.workdir / "service-accounts.key"),
            "--root-ca-file", str(self.tls.ca_file),
            "--use-service-account-credentials=false",
            # Fake nodes get no kubelet's heartbeat: keep them Ready and untainted.
            "--controllers", "*" if node_lifecycle else "*,-node-lifecycle-controller"])
        # Ready once the `default` ServiceAccount exists in a namespace: pods need it.
        deadline = time.monotonic() + START_SECONDS
        while self.kubectl("-n", "default", "get", "serviceaccount", "default",
                           check=False).returncode != 0:
            self.processes[-1].check_running()
            if time.monotonic() > deadline:
                raise TimeoutError(f"kube-controller-manager not working:\n{self.logs()}")
            time.sleep(0.2)

    def _start_scheduler(self) -> None:
        self._spawn("kube-scheduler", [
            str(self.binaries / "kube-scheduler"),
            "--kubeconfig", str(self.kubeconfig),
            "--authentication-kubeconfig", str(self.kubeconfig),
            "--authorization-kubeconfig", str(self.kubeconfig),
            "--bind-address", "127.0.0.1", "--secure-port", str(free_port()),
            "--leader-elect=false"])

    def _add_nodes(self) -> None:
        nodes = [{
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64", "topology.kubernetes.io/zone": zone}},
            # A kubelet registers its node with its status; so do we.
            "status": {"capacity": NODE_ALLOCATABLE, "allocatable": NODE_ALLOCATABLE,
                       "conditions": [{"type": "Ready", "status": "True",
                                       "reason": "KubeletReady",
                                       "message": "a Node object of the testbed"}]},
        } for name, zone in NODES.items()]
        storage_class = STORAGE_CLASS
        volumes = [{
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"testbed-{n}"},
            "spec": {"storageClassName": "testbed", "capacity": {"storage": VOLUME_SIZE},
                     "accessModes": ["ReadWriteOnce"],
                     "hostPath": {"path": f"/nonexistent/testbed-{n}"}},
        } for n in range(VOLUMES)]
        self.kubectl("create", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [*nodes, storage_class, *volumes]}))
        # Admission taints every new node not-ready; the node lifecycle controller (off
        # here) lifts it once the kubelet reports Ready, as these nodes do from the start.
        self.kubectl("taint", "nodes", "--all", "node.kubernetes.io/not-ready:NoSchedule-")

    def _write_kubeconfig(self, ca_file: Path) -> None:
        self.kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "testbed",
            "clusters": [{"name": "testbed", "cluster": {
                "server": self.server, "certificate-authority": str(ca_file)}}],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "testbed", "context": {"cluster": "testbed",
                                                         "user": "admin"}}]}))

    def _wait_port(self, process: Process, port: int) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            process.check_running()
            try:
                if self.netns:
                    self.wait_port_in_netns(port, 0.5)
                else:
                    wait_for_port(port, 0.5)
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise

    def wait_port_in_netns(self, port: int, timeout: float, host: str = "127.0.0.1") -> None:
        check = ("import sys; from tenantctl.ports import wait_for_port; "
                 f"wait_for_port({port}, {timeout}, {host!r})")
        if subprocess.run([*self.in_netns, sys.executable, "-c", check],
                          capture_output=True, check=False).returncode != 0:
            raise TimeoutError(f"nothing listens on {host}:{port} in {self.netns}")
