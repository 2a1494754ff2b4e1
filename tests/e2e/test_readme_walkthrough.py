"""The README's walkthrough runs exactly as written against `tenantctl dev`.

The bash blocks under "## Walkthrough" run in order in one shell; only the
default ports are swapped for free ones, so the test never clashes with a
platform a developer has running.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tenantctl.ports import free_port
from tenantctl.postgres import cluster_dir

ROOT = Path(__file__).resolve().parents[2]


def walkthrough_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)


def test_readme_walkthrough_runs_as_written() -> None:
    blocks = walkthrough_blocks()
    assert len(blocks) >= 3
    workdir = Path(tempfile.mkdtemp(prefix="readme-walkthrough-"))
    data_dir = workdir / ".data"
    api, notifier = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JWT_SECRET")}
    dev = subprocess.Popen(
        [sys.executable, "-m", "tenantctl", "dev", "--data-dir", str(data_dir),
         "--api-port", str(api), "--notifier-port", str(notifier),
         "--nats-port", str(free_port()), "--postgres-port", str(free_port()),
             "--provisioner-port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        assert dev.stdout is not None
        seen = ""
        deadline = time.monotonic() + 120
        while "Ctrl-C stops everything." not in seen:
            line = dev.stdout.readline()
            assert line or dev.poll() is None, seen
            seen += line
            assert time.monotonic() < deadline, seen
        script = "set -euo pipefail\n" + "\n".join(blocks)
        script = script.replace("localhost:8000", f"localhost:{api}").replace(
            "localhost:8001", f"localhost:{notifier}")
        # `uv run tenantctl` in the README: here the same interpreter runs it, and the
        # dev secret is found under the working directory's .data/, as for a user.
        shim = workdir / "bin" / "uv"
        shim.parent.mkdir()
        bindir = Path(sys.executable).parent
        shim.write_text(f'#!/bin/sh\n[ "$1" = run ] && shift\nexec "{bindir}/$@"\n')
        shim.chmod(0o755)
        result = subprocess.run(
            ["bash", "-c", script], cwd=workdir, capture_output=True, text=True, timeout=240,
            env={**env, "PATH": f"{shim.parent}:{env['PATH']}",
                 "NOTIFIER_URL": f"ws://localhost:{notifier}/ws"},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert '"status":"Pending"' in out.replace(" ", "")
        for event in ("TenantProvisioning", "TenantActive", "TenantUpdated", "TenantDeleted",
                      "TenantCancelRequested", "TenantCancelled"):
            assert event in out, out
        assert re.search(r"TenantProgress\s+\S+ verifying", out), out
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(timeout=60)
        shutil.rmtree(cluster_dir(data_dir / "postgres").parent, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
