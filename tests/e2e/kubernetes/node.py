"""The testbed with ONE real node: containerd (Debian's) and kubelet v1.36.3 with a
CNI bridge network and CoreDNS, next to the control plane, all of it inside a
private network namespace with no route out, so nothing touches the host's network
(other tests use loopback ports on the host).

Facts of this kind of machine (issue 17): cgroup v1, so kubelet needs
`failCgroupV1: false`; no CAP_SYS_RESOURCE, so containerd may not set a negative
oom_score_adj (`restrict_oom_score_adj`); no registry, so every image is written
here as an OCI archive and imported into containerd, and pods use
`imagePullPolicy: Never`.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.kubernetes.images import NATS_IMAGE, PAUSE_IMAGE, write_image
from tests.e2e.kubernetes.testbed import NODE_NAME, START_SECONDS, STORAGE_CLASS, KubeTestbed

NODE_IP = "10.87.0.1"  # on the namespace's loopback: kubelet needs an address that is not 127/8
POD_SUBNET, POD_GATEWAY = "10.244.0.0/24", "10.244.0.1"  # the gateway is where CoreDNS answers
SERVICE_SUBNET = "10.96.0.0/16"  # the apiserver's --service-cluster-ip-range
KUBE_PROXY_HEALTH = 10256
CNI_PLUGINS = Path("/usr/lib/cni")  # Debian's containernetworking-plugins
NATS_SERVER = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "nats-server"
# kubelet sets these kernel tunables (not namespaced) when it starts; they are put back.
KERNEL_TUNABLES = ("vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic",
                   "kernel/panic_on_oops", "kernel/keys/root_maxkeys",
                   "kernel/keys/root_maxbytes")
VOLUMES = 3
CGROUPS = Path("/sys/fs/cgroup")
# kubelet links each container's log here (a fixed path) and unlinks it only when it
# removes the container itself: teardown removes the links into the testbed.
CONTAINER_LOG_LINKS = Path("/var/log/containers")


def netns_names() -> set[str]:
    netns = Path("/run/netns")
    return {p.name for p in netns.iterdir()} if netns.exists() else set()


def cgroup_dirs(name: str) -> list[Path]:
    """The testbed's cgroup in every hierarchy (cgroup v1: one per controller)."""
    return [hierarchy / name for hierarchy in CGROUPS.iterdir() if hierarchy.is_dir()]


def log_links_into(directory: Path) -> list[Path]:
    if not CONTAINER_LOG_LINKS.exists():
        return []
    return [link for link in CONTAINER_LOG_LINKS.iterdir()
            if link.is_symlink() and str(link.readlink()).startswith(f"{directory}/")]


def mounts_under(directory: Path) -> list[str]:
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mount_point = line.split()[4].replace("\\040", " ")
        if mount_point.startswith(f"{directory}/") or mount_point == str(directory):
            mounts.append(mount_point)
    return mounts


@dataclass
class RealNodeTestbed:
    binaries: Path
    netns: str = field(default_factory=lambda: f"kube-testbed-{uuid.uuid4().hex[:8]}")
    kube: KubeTestbed | None = None
    tunables: dict[str, str] = field(default_factory=dict)
    cni_netns_before: set[str] = field(default_factory=set)

    @property
    def node_dir(self) -> Path:
        assert self.kube is not None
        return self.kube.workdir / "node"

    @property
    def cgroup(self) -> str:
        """kubelet's cgroup root: the pods' cgroups live under it and nowhere else, so
        teardown finds (and ends) every process of the node there."""
        return self.netns

    @property
    def socket(self) -> Path:
        return self.node_dir / "containerd" / "containerd.sock"

    def start(self) -> KubeTestbed:
        try:
            self.cni_netns_before = netns_names()
            self.tunables = {t: (Path("/proc/sys") / t).read_text() for t in KERNEL_TUNABLES}
            subprocess.run(["ip", "netns", "add", self.netns], check=True)
            subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
            subprocess.run(["ip", "-n", self.netns, "addr", "add", f"{NODE_IP}/32", "dev", "lo"],
                           check=True)
            # No route out, so no default route: a ClusterIP needs one to be dialled at
            # all (kube-proxy's DNAT then sends the packet to a pod on the bridge).
            subprocess.run(["ip", "-n", self.netns, "route", "add", SERVICE_SUBNET, "dev", "lo",
                            "src", NODE_IP], check=True)
            self.kube = KubeTestbed(self.binaries, netns=self.netns).start(fake_nodes=False)
            self.node_dir.mkdir()
            self._add_storage()
            self._start_containerd()
            self._import_images()
            self._start_coredns()
            self._make_cgroup()
            self._start_kubelet()
            self._start_kube_proxy()
        except BaseException:
            self.stop()
            raise
        return self.kube

    def stop(self) -> None:
        kube = self.kube
        if kube is not None and kube.workdir.exists():
            running = {p.name: p for p in kube.processes}
            # kubelet first: alive, it would recreate the sandboxes removed next.
            if "kubelet" in running:
                running["kubelet"].stop()
            if self.socket.exists():
                self._remove_pods()
            for name in ("kube-proxy", "coredns", "containerd"):
                if name in running:
                    running[name].stop()
            self._kill_leftovers(kube.workdir)
            for mount in reversed(mounts_under(kube.workdir)):
                subprocess.run(["umount", "--lazy", mount], check=False)
            for link in log_links_into(kube.workdir):
                link.unlink()
            kube.stop()
        self._remove_cgroup()
        for stale in netns_names() - self.cni_netns_before:
            if stale.startswith("cni-"):
                subprocess.run(["ip", "netns", "delete", stale], check=False)
        if self.netns in netns_names():
            subprocess.run(["ip", "netns", "delete", self.netns], check=False)
        for tunable, value in self.tunables.items():
            (Path("/proc/sys") / tunable).write_text(value)

    def crictl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.binaries / "crictl"), "--runtime-endpoint",
                               f"unix://{self.socket}", *args],
                              capture_output=True, text=True, check=False)

    def _remove_pods(self) -> None:
        # Through the CRI, so that containerd tears down each pod's network (CNI DEL)
        # and its network namespace; killing the shims would leave both behind.
        self.crictl("stopp", *self.crictl("pods", "-q").stdout.split())
        self.crictl("rmp", "--all", "--force")

    def _kill_leftovers(self, workdir: Path) -> None:
        """containerd's shims outlive containerd by design (they hold the containers):
        end every process that still names the testbed's directory or is in its cgroup
        (a step that failed may have left a container running)."""
        pids = set()
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and str(workdir) in (proc / "cmdline").read_text():
                    pids.add(int(proc.name))
            except OSError:
                continue  # ended meanwhile
        for directory in cgroup_dirs(self.cgroup):
            for procs in directory.rglob("cgroup.procs") if directory.exists() else []:
                pids.update(int(pid) for pid in procs.read_text().split())
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _make_cgroup(self) -> None:
        for directory in cgroup_dirs(self.cgroup):
            directory.mkdir()
            if (directory.parent / "cpuset.cpus").exists():  # an empty cpuset takes no task
                for setting in ("cpuset.cpus", "cpuset.mems"):
                    (directory / setting).write_text((directory.parent / setting).read_text())

    def _remove_cgroup(self) -> None:
        for directory in cgroup_dirs(self.cgroup):
            if directory.exists():
                # Deepest first: a cgroup goes only once it has no children.
                for child in sorted((d for d in directory.rglob("*") if d.is_dir()),
                                    key=lambda d: len(d.parts), reverse=True):
                    child.rmdir()
                directory.rmdir()

    def _add_storage(self) -> None:
        """Volumes made in advance (as local volumes are), writable by the pods' user
        1000: a hostPath volume gets no fsGroup ownership change."""
        assert self.kube is not None
        volumes = []
        for n in range(VOLUMES):
            path = self.node_dir / "volumes" / str(n)
            path.mkdir(parents=True)
            os.chown(path, 1000, 1000)
            volumes.append({
                "apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": f"node-volume-{n}"},
                "spec": {"storageClassName": "testbed", "capacity": {"storage": "20Gi"},
                         "accessModes": ["ReadWriteOnce"],
                         "hostPath": {"path": str(path), "type": "Directory"}}})
        storage_class = STORAGE_CLASS
        self.kube.kubectl("create", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [storage_class, *volumes]}))

    def _start_containerd(self) -> None:
        assert self.kube is not None
        base = self.node_dir / "containerd"
        cni = self.node_dir / "cni"
        cni.mkdir()
        (cni / "10-testbed.conflist").write_text(json.dumps({
            "cniVersion": "0.4.0", "name": "testbed", "plugins": [{
                "type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False,
                "hairpinMode": True,  # a pod reaches itself through its Service name
                "ipam": {"type": "host-local", "ranges": [[{"subnet": POD_SUBNET}]],
                         "routes": [{"dst": "0.0.0.0/0"}],
                         "dataDir": str(self.node_dir / "ipam")}}]}))
        config = base / "config.toml"
        base.mkdir()
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        config.write_text(f"""version = 2
root = "{base}/root"
state = "{base}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "{self.socket}"
[ttrpc]
  address = "{base}/ttrpc.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "{base}/opt"
[{cri}]
  sandbox_image = "{PAUSE_IMAGE}"
  # No CAP_SYS_RESOURCE here: a negative oom_score_adj is refused.
  restrict_oom_score_adj = true
  [{cri}.cni]
    bin_dir = "{CNI_PLUGINS}"
    conf_dir = "{cni}"
  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.runc.options]
        Root = "{base}/runc"
""")
        process = self.kube._spawn("containerd", ["containerd", "--config", str(config)])
        deadline = time.monotonic() + START_SECONDS
        while self.crictl("version").returncode != 0:
            process.check_running()
            if time.monotonic() > deadline:
                raise TimeoutError(f"containerd not answering:\n{self.kube.logs()}")
            time.sleep(0.2)

    def import_image(self, archive: Path) -> None:
        subprocess.run(["ctr", "--address", str(self.socket), "-n", "k8s.io", "images",
                        "import", str(archive)], check=True, capture_output=True)

    def _import_images(self) -> None:
        images = self.node_dir / "images"
        images.mkdir()
        archives = [write_image(images, PAUSE_IMAGE, {"pause": self.binaries / "pause"},
                                ["/pause"]),
                    write_image(images, NATS_IMAGE,
                                {"usr/local/bin/nats-server": NATS_SERVER},
                                ["/usr/local/bin/nats-server"])]
        for archive in archives:
            self.import_image(archive)

    def _start_coredns(self) -> None:
        assert self.kube is not None
        corefile = self.node_dir / "Corefile"
        # Listens on every address of the namespace, the pods' gateway among them.
        corefile.write_text(f""".:53 {{
    errors
    ready 127.0.0.1:8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {{
        kubeconfig {self.kube.kubeconfig} testbed
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
}}
""")
        process = self.kube._spawn("coredns", [str(self.binaries / "coredns"), "-conf",
                                               str(corefile)])
        self.kube._wait_port(process, 8181)

    def _start_kubelet(self) -> None:
        assert self.kube is not None
        kubeconfig = self.node_dir / "kubelet.kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "node",
            "clusters": [{"name": "testbed", "cluster": {
                "server": self.kube.server,
                "certificate-authority": str(self.kube.tls.ca_file)}}],
            "users": [{"name": "node", "user": {"token": self.kube.node_token}}],
            "contexts": [{"name": "node", "context": {"cluster": "testbed", "user": "node"}}]}))
        config = self.node_dir / "kubelet.yaml"
        config.write_text(json.dumps({
            "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
            "failCgroupV1": False,  # this machine has cgroup v1 (hybrid)
            "cgroupDriver": "cgroupfs",
            "cgroupRoot": f"/{self.cgroup}",
            "containerRuntimeEndpoint": f"unix://{self.socket}",
            "podLogsDir": str(self.node_dir / "pod-logs"),  # not the host's /var/log/pods
            "authentication": {"anonymous": {"enabled": False},
                               "webhook": {"enabled": True},
                               "x509": {"clientCAFile": str(self.kube.tls.ca_file)}},
            "authorization": {"mode": "Webhook"},
            "clusterDomain": "cluster.local", "clusterDNS": [POD_GATEWAY],
            "resolvConf": "",  # nothing of the host's DNS reaches the pods
            "failSwapOn": False,
            "readOnlyPort": 0,
            # The host's disk is shared: never evict or collect images for its sake.
            "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%",
                             "imagefs.available": "1%"},
            "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
        }))
        self.kube._spawn("kubelet", [
            str(self.binaries / "kubelet"), "--config", str(config),
            "--kubeconfig", str(kubeconfig), "--root-dir", str(self.node_dir / "kubelet"),
            "--cert-dir", str(self.node_dir / "kubelet" / "pki"),
            "--hostname-override", NODE_NAME, "--node-ip", NODE_IP])
        deadline = time.monotonic() + START_SECONDS
        while not self._node_ready():
            self.kube.processes[-1].check_running()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the node is not Ready:\n{self.kube.logs()}")
            time.sleep(0.5)

    def _start_kube_proxy(self) -> None:
        """Services' ClusterIPs, in iptables mode. Its rules live in the namespace and
        go with it. It leaves the conntrack tunables alone (some are not namespaced)
        and needs no route_localnet (no NodePort on localhost)."""
        assert self.kube is not None
        config = self.node_dir / "kube-proxy.yaml"
        config.write_text(json.dumps({
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration", "mode": "iptables",
            "clientConnection": {"kubeconfig": str(self.kube.kubeconfig)},
            "hostnameOverride": NODE_NAME, "clusterCIDR": POD_SUBNET,
            "healthzBindAddress": f"127.0.0.1:{KUBE_PROXY_HEALTH}",
            "metricsBindAddress": "127.0.0.1:10249",
            "iptables": {"localhostNodePorts": False},
            "conntrack": {"maxPerCore": 0, "tcpEstablishedTimeout": "0s",
                          "tcpCloseWaitTimeout": "0s"}}))
        process = self.kube._spawn("kube-proxy", [str(self.binaries / "kube-proxy"),
                                                  "--config", str(config)])
        self.kube._wait_port(process, KUBE_PROXY_HEALTH)

    def _node_ready(self) -> bool:
        assert self.kube is not None
        out = self.kube.kubectl("get", "node", NODE_NAME, "-o", "json", check=False)
        if out.returncode != 0:
            return False
        node = json.loads(out.stdout)
        ready = [c for c in node["status"].get("conditions", []) if c["type"] == "Ready"]
        tainted = any(t["key"] == "node.kubernetes.io/not-ready"
                      for t in node["spec"].get("taints", []))
        return bool(ready) and ready[0]["status"] == "True" and not tainted


def _alive(pid: int) -> bool:
    """Still running: a killed child of this process stays in /proc as a zombie until
    its Popen reaps it, and waiting for that would wait out the whole deadline."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
