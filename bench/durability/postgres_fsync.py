"""What PostgreSQL's durability settings cost (not a test): committed rows per second.

    uv run python bench/durability/postgres_fsync.py [--commits 3000]

Starts a throwaway cluster from the machine's binaries once per setting (as
tenantctl.postgres does, with only the durability options changed) and commits
one small row per transaction, the shape of the projection's and the
provisioner's writes. The settings compared:

- dev today: fsync=off, synchronous_commit=off, full_page_writes=off
  (an OS crash or power loss can leave the cluster unreadable);
- crash-safe: fsync=on, full_page_writes=on, synchronous_commit=off
  (never corrupt; a crash loses at most the last ~0.6 s of commits);
- durable: every option on, PostgreSQL's defaults (a commit is on disk when it returns).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tenantctl.ports import wait_for_port
from tenantctl.postgres import PostgresCluster, pg_bin

SETTINGS = {
    "dev today (fsync off)": "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
    "crash-safe (fsync on, sync commit off)":
        "-c fsync=on -c synchronous_commit=off -c full_page_writes=on",
    "durable (all on)": "-c fsync=on -c synchronous_commit=on -c full_page_writes=on",
}


@dataclass
class BenchCluster(PostgresCluster):
    durability: str = ""  # the -c options under test

    def start(self) -> BenchCluster:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.data_dir} {self.durability}")
        command = [pg_bin("pg_ctl"), "-D", str(self.data_dir), "-o", options,
                   "-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "start"]
        # As root, PostgreSQL runs as the postgres user (see tenantctl.postgres).
        as_root = os.geteuid() == 0
        subprocess.run(["runuser", "-u", "postgres", "--", *command] if as_root else command,
                       check=True, stdout=subprocess.DEVNULL)
        wait_for_port(self.port, timeout=30)
        return self


async def commits_per_second(url: str, commits: int) -> float:
    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE bench (seq bigint PRIMARY KEY, body jsonb NOT NULL)")
    body = '{"type": "TenantProgress", "stage": "migrating", "percent": 35}'
    started = time.perf_counter()
    for seq in range(commits):
        await conn.execute("INSERT INTO bench VALUES ($1, $2::jsonb)", seq, body)
    elapsed = time.perf_counter() - started
    await conn.close()
    return commits / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2, help="best of this many per setting")
    args = parser.parse_args()
    rates: dict[str, float] = {}
    for name, options in SETTINGS.items():
        best = 0.0
        for _ in range(args.rounds):
            root = Path(tempfile.mkdtemp(prefix="bench-pg-fsync-"))
            os.chmod(root, 0o755)  # the postgres user must reach it when we are root
            cluster = BenchCluster(data_dir=root / "data", durability=options)
            cluster.init()
            cluster.start()
            try:
                best = max(best, asyncio.run(commits_per_second(cluster.url(), args.commits)))
            finally:
                cluster.remove()
        rates[name] = best
        print(f"{name:>40}: {best:8.0f} commits/s", flush=True)
    dev = rates["dev today (fsync off)"]
    print(f"\n{args.commits} single-row commits, best of {args.rounds}")
    print(" | ".join(f"{n}: {r:.0f}/s ({r / dev:.2f} x dev)" for n, r in rates.items()))


if __name__ == "__main__":
    main()
