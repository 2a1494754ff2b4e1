"""Three nats-server nodes on the rendered config (only addresses and paths swapped
for local ones) form the cluster the StatefulSet forms: mutual-TLS routes, a
JetStream meta group, the R3 stream the services create, durable appends by the
`api` principal over TLS from the seed list, and the preStop hook's signal."""

from __future__ import annotations

import json
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantRequested
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenant_stream.connection import NatsSettings
from tenant_stream.setup import ensure_stream
from tenantctl.nats_server import nats_server_binary
from tenantctl.ports import free_port, wait_for_port
from tests.conftest import wait_until
from tests.unit.k8s import nats_config as conf
from tests.unit.k8s.certs import write_nats_tls


@dataclass(frozen=True)
class Node:
    name: str
    client: int
    monitor: int
    directory: Path
    process: subprocess.Popen[bytes]

    def healthz(self) -> str:
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.monitor}/healthz", timeout=2) as response:
                return str(json.loads(response.read()).get("status"))
        except OSError:
            return "unreachable"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[Node]]:
    names = [f"nats-{i}" for i in range(3)]
    ports = {n: {4222: free_port(), 6222: free_port(), 8222: free_port()} for n in names}
    routes = {f"{n}.nats": f"127.0.0.1:{ports[n][6222]}" for n in names}
    tls = tmp_path / "tls"
    tls.mkdir()
    write_nats_tls(tls, ["nats-0.nats", "nats-1.nats", "nats-2.nats", "localhost"])
    nodes = []
    for name in names:
        config = conf.lay_out(tmp_path / name, ports[name], routes, tls_dir=tls)
        process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)], env=conf.container_env(name),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        nodes.append(Node(name, ports[name][4222], ports[name][8222], tmp_path / name,
                          process))
    try:
        for node in nodes:
            wait_for_port(node.client, timeout=15)
        yield nodes
    finally:
        for node in nodes:
            node.process.kill()
            node.process.wait(timeout=10)


async def test_the_rendered_config_forms_a_tls_cluster_that_stores_r3_appends(
        cluster: list[Node]) -> None:
    # The startup probe's condition: every node healthy, JetStream current.
    await wait_until(lambda: all(n.healthz() == "ok" for n in cluster), timeout=60)
    env = conf.container_env()
    settings = NatsSettings.from_env({
        "NATS_URL": ",".join(f"tls://127.0.0.1:{n.client}" for n in cluster),
        "NATS_USER": "api", "NATS_PASSWORD": env["API_NATS_PASSWORD"],
        "NATS_TLS_CA": str(cluster[0].directory.parent / "tls" / "ca.crt")})
    nc = await nats.connect(**settings.connect_options())
    try:
        js = nc.jetstream(timeout=10)

        async def created() -> bool:
            # What each service does at start; a meta leader may still be in election.
            try:
                await ensure_stream(js, replicas=3)
            except (NatsError, TimeoutError):
                return False
            return True

        await wait_until(created, timeout=30)
        info = await js.stream_info(STREAM_NAME)
        assert info.config.num_replicas == 3
        assert info.cluster is not None and len(info.cluster.replicas or []) == 2
        event = TenantRequested(tenant_id=uuid.uuid4(), owner="alice", actor="alice",
                                name="Acme", slug="acme", plan="free",
                                admin_email="a@acme.test")
        ack = await js.publish(event_subject(event), encode_event(event), stream=STREAM_NAME,
                               headers=append_headers(event, 0))
        assert ack.stream == STREAM_NAME and ack.seq == 1
    finally:
        await nc.close()


def test_the_prestop_hook_finds_the_pid_file(cluster: list[Node]) -> None:
    # The hook's command, with the pid file where the config puts it (in this copy).
    command = conf.nats_container()["lifecycle"]["preStop"]["exec"]["command"]
    pid_file = cluster[0].directory / "pid" / Path(conf.setting("pid_file")).name
    assert pid_file.read_text().strip() == str(cluster[0].process.pid)
    argv = [nats_server_binary(), *command[1:-1], f"ldm={pid_file}"]
    assert subprocess.run(argv, capture_output=True, timeout=10).returncode == 0
    # Lame duck: it drains, then exits cleanly (at once when no client is left to move).
    assert cluster[0].process.poll() in (None, 0)
