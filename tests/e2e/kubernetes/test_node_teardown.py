"""The testbed with a real node leaves nothing behind: no process (containerd's
shims and the containers among them), no mount, no network namespace, no cgroup,
no directory, and the kernel tunables kubelet sets are put back; also when it fails
half-way through starting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.kubernetes.deployed import wait_for
from tests.e2e.kubernetes.images import NATS_IMAGE
from tests.e2e.kubernetes.node import (
    KERNEL_TUNABLES,
    RealNodeTestbed,
    cgroup_dirs,
    log_links_into,
    mounts_under,
    netns_names,
)
from tests.e2e.kubernetes.test_testbed import processes_in
from tests.e2e.kubernetes.testbed import KubeTestbed

pytestmark = pytest.mark.timeout(600)

POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "server", "namespace": "default"},
    "spec": {"containers": [{"name": "nats", "image": NATS_IMAGE,
                             "imagePullPolicy": "Never",
                             "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}],
             "volumes": [{"name": "scratch", "emptyDir": {"medium": "Memory"}}]},
}


def tunables() -> dict[str, str]:
    return {t: (Path("/proc/sys") / t).read_text() for t in KERNEL_TUNABLES}


def assert_nothing_left(node: RealNodeTestbed, workdir: Path, netns_before: set[str],
                        tunables_before: dict[str, str]) -> None:
    assert processes_in(workdir) == []
    assert mounts_under(workdir) == []
    assert log_links_into(workdir) == []
    assert not Path("/var/log/pods").exists() or not [
        d for d in Path("/var/log/pods").iterdir() if d.name.startswith("default_server_")]
    # The node's namespace and every pod's. (Only new ones count: a node of another
    # run on this machine may come and go meanwhile.)
    assert node.netns not in netns_names()
    assert not [n for n in netns_names() - netns_before if n.startswith("cni-")]
    assert [d for d in cgroup_dirs(node.cgroup) if d.exists()] == []
    assert not workdir.exists()
    assert tunables() == tunables_before


def test_a_stopped_node_with_a_running_pod_leaves_nothing(kube: KubeTestbed) -> None:
    netns_before, tunables_before = netns_names(), tunables()
    node = RealNodeTestbed(kube.binaries)
    testbed = node.start()
    try:
        testbed.kubectl("create", "-f", "-", input=json.dumps(POD))
        wait_for("the pod running", lambda: testbed.get("pod", "server")["status"].get(
            "phase") == "Running", timeout=60)
        assert node.netns in netns_names()
        assert mounts_under(testbed.workdir)  # the pod's rootfs and its memory volume
        assert log_links_into(testbed.workdir)  # the container's log, linked by kubelet
    finally:
        node.stop()
    assert_nothing_left(node, testbed.workdir, netns_before, tunables_before)


def test_a_node_that_fails_to_start_leaves_nothing(kube: KubeTestbed, tmp_path: Path) -> None:
    broken = tmp_path / "bin"
    broken.mkdir()
    for binary in kube.binaries.iterdir():
        (broken / binary.name).symlink_to(binary)
    (broken / "kubelet").unlink()
    (broken / "kubelet").write_text("#!/bin/sh\necho cannot start >&2\nexit 1\n")
    (broken / "kubelet").chmod(0o755)
    netns_before, tunables_before = netns_names(), tunables()
    node = RealNodeTestbed(broken)
    with pytest.raises(RuntimeError, match="kubelet exited while starting"):
        node.start()
    assert node.kube is not None
    assert_nothing_left(node, node.kube.workdir, netns_before, tunables_before)
