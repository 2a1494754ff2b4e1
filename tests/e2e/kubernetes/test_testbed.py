"""The testbed leaves nothing behind: no process and no directory, also when it
fails half-way through starting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.kubernetes.testbed import KubeTestbed

pytestmark = pytest.mark.timeout(1200)


def processes_in(directory: Path) -> list[int]:
    """Every process whose command line names the directory (each testbed process does)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(directory) in (proc / "cmdline").read_text():
                found.append(int(proc.name))
        except OSError:
            continue  # ended meanwhile
    return found


def test_a_stopped_testbed_leaves_no_process_and_no_directory(kube: KubeTestbed) -> None:
    testbed = KubeTestbed(kube.binaries).start()
    # etcd, kube-apiserver, kube-controller-manager, kube-scheduler
    assert len(processes_in(testbed.workdir)) == 4
    testbed.stop()
    assert processes_in(testbed.workdir) == []
    assert not testbed.workdir.exists()


def test_a_testbed_that_fails_to_start_leaves_nothing(kube: KubeTestbed, tmp_path: Path) -> None:
    broken = tmp_path / "bin"
    broken.mkdir()
    for binary in kube.binaries.iterdir():
        (broken / binary.name).symlink_to(binary)
    (broken / "kube-apiserver").unlink()
    (broken / "kube-apiserver").write_text("#!/bin/sh\necho cannot start >&2\nexit 1\n")
    (broken / "kube-apiserver").chmod(0o755)
    testbed = KubeTestbed(broken)
    with pytest.raises(RuntimeError, match="kube-apiserver exited while starting"):
        testbed.start()
    assert processes_in(testbed.workdir) == []  # etcd, started first, is gone
    assert not testbed.workdir.exists()
