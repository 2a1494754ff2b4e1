"""Each side-by-side benchmark runs, with tiny sizes, and prints its ratios.

The figures are not checked (a shared 2-core machine makes them noise at these
sizes); what is checked is that every peer and limit started, was driven, and
answered, so the benchmarks keep working as the services change.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def tools() -> None:
    # Pinned versions; a no-op once built (the first build of Centrifugo takes minutes).
    subprocess.run([str(BENCH / "tools" / "install.sh")], check=True, timeout=1800)


def _run(*args: str, timeout: float = 600) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_fanout_runs_the_notifier_and_centrifugo_side_by_side(tools: None) -> None:
    out = _run("bench/notifier/versus_centrifugo.py", "--workload", "flat", "--sessions", "12",
               "--events", "20", "--users", "3", "--admins", "2", "--rounds", "1")
    notifier = next(line for line in out.splitlines() if line.startswith("notifier#1"))
    centrifugo = next(line for line in out.splitlines() if line.startswith("centrifugo#1"))
    # 20 events, each to its owner's 3 or 4 tabs and the 2 admins: every frame arrived
    for line in (notifier, centrifugo):
        received, expected = line.split(" frames")[0].rsplit(" ", 1)[1].split("/")
        assert received == expected != "0"
    assert "ratio (notifier / centrifugo): CPU per frame" in out


def test_intake_runs_the_api_beside_a_bare_app_and_a_raw_publish(tools: None) -> None:
    out = _run("bench/api/intake.py", "--seconds", "0.5", "--rounds", "1")
    for name in ("api POST /api/v1/tenants", "bare Litestar, same body",
                 "raw js.publish, same headers"):
        lines = [line for line in out.splitlines() if line.startswith(name)]
        assert len(lines) == 2  # 16 clients and 1
        assert all("ok 1.000" in line for line in lines), lines
    assert out.count("ratio api/bare") == 2


def test_rebuild_runs_beside_a_raw_ordered_read() -> None:
    out = _run("bench/api/rebuild.py", "--tenants", "20")
    assert out.count("raw ordered read + decode") == 2


def test_pickup_runs_the_provisioner_beside_celery(tools: None) -> None:
    out = _run("bench/provisioner/pickup.py", "--rate", "10", "--requests", "5", "--rounds", "1")
    for name in ("project: ack -> TenantProvisioning seen", "project: stored -> stored",
                 "Celery + Redis: apply_async -> task starts"):
        lines = [line for line in out.splitlines() if line.startswith(name)]
        assert len(lines) == 1 and " n=5 " in lines[0], out
    assert out.count("ratio project/Celery") == 1
