"""`tenantctl dev` brings the platform up from nothing and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tenantctl.ports import free_port
from tenantctl.postgres import cluster_dir

READY_LINE = "Ctrl-C stops everything."
POLL_SECONDS = 0.02


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (entry / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in cmdline or text in environ:
            found.append(int(entry.name))
    return found


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def read_until_ready(process: subprocess.Popen[str], lines: list[str],
                     timeout: float = 120) -> None:
    """Its output, line by line, up to the line that says everything is up."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while READY_LINE not in "".join(lines):
        line = process.stdout.readline()
        assert line or process.poll() is None, "".join(lines)
        lines.append(line)
        assert time.monotonic() < deadline, "".join(lines)


DevRun = tuple[subprocess.Popen[str], dict[str, int], list[str], Path]


@pytest.fixture
def dev_run(request: pytest.FixtureRequest) -> Iterator[DevRun]:
    """`tenantctl dev` on free ports; `@pytest.mark.dev_env(NAME=value)` adds to its env."""
    data_dir = Path(tempfile.mkdtemp(prefix="tenantctl-dev-"))
    ports = {name: free_port() for name in ("api", "notifier", "nats", "postgres", "provisioner")}
    marker = request.node.get_closest_marker("dev_env")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JWT_SECRET")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tenantctl", "dev", "--data-dir", str(data_dir),
         "--api-port", str(ports["api"]), "--notifier-port", str(ports["notifier"]),
         "--nats-port", str(ports["nats"]), "--postgres-port", str(ports["postgres"]),
         "--provisioner-port", str(ports["provisioner"])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=env | (marker.kwargs if marker else {}),
    )
    lines: list[str] = []
    yield process, ports, lines, data_dir
    if process.poll() is None:
        # Ctrl-C, as a user stops it: tenantctl stops what it started (a kill would
        # leave its nats-server, PostgreSQL and services running).
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    shutil.rmtree(cluster_dir(data_dir / "postgres").parent, ignore_errors=True)
    shutil.rmtree(data_dir, ignore_errors=True)


def test_dev_runs_the_platform_and_ctrl_c_stops_every_process(dev_run: DevRun) -> None:
    process, ports, lines, _ = dev_run
    assert process.stdout is not None
    read_until_ready(process, lines)
    output = "".join(lines)
    assert f"http://localhost:{ports['api']}/" in output
    token = re.search(r"admin token.*\n\s+(\S+)", output)
    assert token, output

    with httpx.Client(base_url=f"http://127.0.0.1:{ports['api']}") as http:
        assert http.get("/readyz").status_code == 200
        listed = http.get("/api/v1/tenants",
                          headers={"Authorization": f"Bearer {token.group(1)}"})
        assert listed.status_code == 200, listed.text
        created = http.post("/api/v1/tenants", json={
            "name": "Mail", "slug": "mail-check", "admin_email": "first@admin.test"},
            headers={"Authorization": f"Bearer {token.group(1)}"})
        assert created.status_code == 202, created.text

    # The local SMTP sink catches the welcome of the Active tenant, as a file to read.
    mail_dir = re.search(r"keeps every email in (\S+)", output)
    assert mail_dir, output
    deadline = time.monotonic() + 60
    while not list(Path(mail_dir.group(1)).glob("*first@admin.test.eml")):
        assert time.monotonic() < deadline, "no welcome email caught"
        time.sleep(0.2)
    caught = next(Path(mail_dir.group(1)).glob("*first@admin.test.eml")).read_text()
    assert "Welcome to Mail" in caught and "mail-check" in caught

    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    assert process.returncode == 0, process.stdout.read()
    for name, port in ports.items():
        assert not _listening(port), f"{name} still listens on {port}"
    marker = f"127.0.0.1:{ports['nats']}"  # every service's NATS_URL names it
    assert _processes_mentioning(marker) == []


# A PostgreSQL that refuses every connection: the api waits for it and is never ready,
# so the start-up is held, and the Ctrl-C below lands in it whatever the machine's load.
@pytest.mark.dev_env(DATABASE_URL=f"postgresql://nobody:none@127.0.0.1:{free_port()}/none")
def test_ctrl_c_during_startup_stops_at_once_and_leaves_nothing(dev_run: DevRun) -> None:
    process, ports, _, data_dir = dev_run
    logs = data_dir / "logs"
    deadline = time.monotonic() + 60
    # Every service is running, the api waiting for its database, the start-up for it.
    while "waiting for PostgreSQL" not in _read(logs / "api.log") or not all(
            (logs / f"{name}.log").exists() for name in ("provisioner", "notifier", "mailer")):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(POLL_SECONDS)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    assert "interrupted while starting" in output and READY_LINE not in output, output
    assert process.returncode == 0, output
    for name, port in ports.items():
        assert not _listening(port), f"{name} still listens on {port}"
    assert _processes_mentioning(f"127.0.0.1:{ports['nats']}") == []


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
