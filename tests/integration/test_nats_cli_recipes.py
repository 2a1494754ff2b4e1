"""The README's operator recipes, run with the stock nats CLI against a real server,
as the `operator` principal through `tenantctl nats-creds operator`."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import nats
import pytest

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantFailed, TenantProvisioning, TenantRequested
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenantctl.nats_auth import save_endpoint
from tenantctl.nats_server import NatsServer

ROOT = Path(__file__).resolve().parents[2]
AS_OPERATOR = "nats $(uv run tenantctl nats-creds operator) "


def recipes() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Operating with the stock", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def nats_cli() -> str:
    go_bin = Path(os.environ.get("GOPATH", Path.home() / "go")) / "bin" / "nats"
    found = shutil.which("nats") or (str(go_bin) if go_bin.exists() else None)
    if found is None:
        pytest.fail("the nats CLI is missing: ./platform test installs it with Go")
    return found


async def append_story(nc: nats.NATS) -> str:
    js = nc.jetstream()
    tenant_id = uuid.uuid4()
    common = dict(tenant_id=tenant_id, owner="alice")
    story = [
        TenantRequested(**common, actor="alice", name="Acme", slug="acme-cli", plan="free",
                        admin_email="a@acme.test"),
        TenantProvisioning(**common, actor="system", attempt=1),
        TenantFailed(**common, actor="system", error="disk full", attempts=1),
    ]
    traceparent = f"00-{'1' * 32}-{'2' * 16}-01"
    last_seq = 0  # the first event of a tenant expects nothing before it
    for event in story:
        ack = await js.publish(event_subject(event), encode_event(event), stream=STREAM_NAME,
                               headers=append_headers(event, last_seq, traceparent))
        last_seq = ack.seq
    return str(tenant_id)


async def test_readme_recipes_tell_the_story(nc: nats.NATS, nats_server: NatsServer,
                                             tmp_path: Path) -> None:
    tenant_id = await append_story(nc)
    # The data dir `tenantctl dev` would leave: the server's credentials and address.
    assert nats_server.auth is not None
    nats_server.auth.save(tmp_path)
    save_endpoint(tmp_path, nats_server.url, None)
    creds = f"{sys.executable} -m tenantctl nats-creds operator --data-dir {tmp_path}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NATS_")}
    env |= {"TENANT_ID": tenant_id, "NATS_CONTEXT": ""}
    commands: dict[str, str] = {}
    for recipe in recipes():
        assert recipe.startswith(AS_OPERATOR), recipe  # every recipe runs as the operator
        recipe = "nats " + recipe.removeprefix(AS_OPERATOR)
        command = f"{nats_cli()} $({creds}) " + recipe.removeprefix("nats ")
        if recipe.startswith("nats stream view"):
            # paging is for a person at a terminal: give it one (util-linux `script`)
            command = f"script -qec {shlex.quote(command)} /dev/null"
        commands[recipe] = command
    # All at once: each only reads, or is refused (the refusals wait out the CLI's timeout).
    results = await asyncio.gather(*(asyncio.to_thread(
        subprocess.run, ["bash", "-c", command], env=env, capture_output=True, text=True,
        timeout=30) for command in commands.values()))
    outputs = dict(zip(commands, results, strict=True))

    def out(prefix: str) -> str:
        (result,) = [r for k, r in outputs.items() if k.startswith(prefix)]
        return result.stdout + result.stderr

    info = " ".join(out("nats stream info").split())
    for line in ("Storage: File", "Allows Msg Delete: false", "Allows Purge: false",
                 "Direct Get: true", "Maximum Age: unlimited"):
        assert line in info, info
    story = out("nats stream view")
    assert story.index("TenantRequested") < story.index("TenantProvisioning") < story.index(
        "TenantFailed")
    assert "disk full" in out('nats sub --stream TENANTS --all --wait 2s "tenants.*.failed"')
    headers = out("nats sub --stream TENANTS --all --wait 2s --headers-only")
    assert "Nats-Msg-Id" in headers and "traceparent" in headers
    assert "Nats-Expected-Last-Subject-Sequence" in headers
    assert "Subject: tenants." in out("nats stream get TENANTS 1")
    purge = outputs["nats stream purge TENANTS -f"]
    assert purge.returncode != 0 and "purge" in (purge.stdout + purge.stderr).lower()
    edit = outputs["nats stream edit TENANTS --max-msgs 1 -f"]
    assert edit.returncode != 0, edit.stdout
    assert (await nc.jetstream().stream_info(STREAM_NAME)).config.max_msgs == -1
