"""A throwaway or persistent PostgreSQL cluster from the machine's binaries.

PostgreSQL refuses to run as root, so as root the cluster is created and run
as the `postgres` OS user; its directory must then be reachable by that user.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tenantctl.ports import free_port, wait_for_port


def pg_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = candidates[0] if candidates else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"PostgreSQL binary {name!r} not found (install postgresql)")
    return found


def _run_as_postgres() -> bool:
    return os.geteuid() == 0


def _as_user(cmd: list[str]) -> list[str]:
    if _run_as_postgres():
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _reachable_by_postgres(path: Path) -> bool:
    if not _run_as_postgres():
        return True
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(path)], check=False
    )
    return probe.returncode == 0


def cluster_dir(preferred: Path) -> Path:
    """`preferred` if the postgres user can reach it, else a stable place in /var/tmp."""
    preferred.parent.mkdir(parents=True, exist_ok=True)
    if _reachable_by_postgres(preferred.parent):
        return preferred
    digest = hashlib.sha256(str(preferred.resolve()).encode()).hexdigest()[:12]
    fallback = Path("/var/tmp") / f"tenant-platform-{digest}" / preferred.name
    fallback.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(fallback.parent, 0o755)
    return fallback


@dataclass
class PostgresCluster:
    data_dir: Path
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def temporary(cls) -> PostgresCluster:
        root = Path(tempfile.mkdtemp(prefix="tenant-platform-pg-"))
        os.chmod(root, 0o755)
        return cls(data_dir=root / "data")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    @property
    def _password_file(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.password"

    def init(self) -> PostgresCluster:
        if (self.data_dir / "PG_VERSION").exists():
            self.password = self._password_file.read_text().strip()
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._password_file.write_text(self.password)
        if _run_as_postgres():
            entry = pwd.getpwnam("postgres")
            for path in (self.data_dir, self._password_file):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        os.chmod(self.data_dir, 0o700)
        subprocess.run(
            _as_user([pg_bin("initdb"), "-D", str(self.data_dir), "-U", "postgres",
                      "--auth-local=trust", "--auth-host=scram-sha-256",
                      f"--pwfile={self._password_file}", "-E", "UTF8", "--no-sync"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        return self

    def start(self) -> PostgresCluster:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.data_dir} -c max_connections=300 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(
            _as_user([pg_bin("pg_ctl"), "-D", str(self.data_dir), "-o", options,
                      "-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=30)
        return self

    def stop(self, mode: str = "fast") -> None:
        if not (self.data_dir / "postmaster.pid").exists():
            return
        subprocess.run(
            _as_user([pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"]),
            check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


async def create_database(admin_url: str, name: str, *, if_missing: bool = False) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        if if_missing and await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
