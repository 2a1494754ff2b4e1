"""`tenantctl dev`: each service gets only its own principal, the credentials file is
private, and `tenantctl nats-creds` gives the stock CLI what the README says."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from tenantctl.nats_auth import CREDENTIALS_FILE
from tests.e2e.test_tenantctl_dev import (
    DevRun,
    _processes_mentioning,
    dev_run,
    read_until_ready,
)
from tests.integration.security.support import run_cli

__all__ = ["dev_run"]  # the fixture, shared with the e2e test of `tenantctl dev`


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_dev_gives_each_service_its_own_principal(dev_run: DevRun) -> None:
    process, ports, lines, data_dir = dev_run
    read_until_ready(process, lines)

    credentials = data_dir / CREDENTIALS_FILE
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    passwords = json.loads(credentials.read_text())
    services = {}
    for pid in _processes_mentioning(f"127.0.0.1:{ports['nats']}"):
        module = _cmdline(pid).split(" -m ", 1)[-1].split()[0]
        services[module] = _environ(pid)
    assert set(services) == {"tenant_api", "tenant_provisioner", "tenant_notifier",
                             "tenant_mailer"}, services
    for module, env in services.items():
        own = module.removeprefix("tenant_")
        assert (env["NATS_USER"], env["NATS_PASSWORD"]) == (own, passwords[own])
        others = [name for name, pw in passwords.items() if name != own and pw in str(env)]
        assert others == [], (module, others)

    creds = subprocess.run([sys.executable, "-m", "tenantctl", "nats-creds", "operator",
                            "--data-dir", str(data_dir)],
                           capture_output=True, text=True, check=True).stdout.split()
    assert creds == ["--server", f"nats://127.0.0.1:{ports['nats']}", "--user", "operator",
                     f"--password={passwords['operator']}"]
    info = run_cli(creds, "stream", "info", "TENANTS")
    assert info.returncode == 0 and "tenants.>" in info.stdout, info.stdout + info.stderr
    edit = run_cli(creds, "stream", "edit", "TENANTS", "--max-msgs", "1", "-f")
    assert edit.returncode != 0
    anonymous = run_cli(["--server", creds[1]], "stream", "info", "TENANTS")
    assert anonymous.returncode != 0
    assert "authorization violation" in (anonymous.stdout + anonymous.stderr).lower()
    assert "Maximum Messages: unlimited" in run_cli(creds, "stream", "info", "TENANTS").stdout
