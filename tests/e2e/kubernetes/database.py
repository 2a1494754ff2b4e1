"""PostgreSQL for the pods: a throw-away server inside the testbed's network
namespace, on the node's address, with the two roles of deploy/k8s/README.md
(section 4) and a pg_hba line for the pods' subnet."""

from __future__ import annotations

import os
import subprocess
import time

from tenantctl.postgres import PostgresCluster, pg_bin
from tests.e2e.kubernetes.testbed import START_SECONDS, KubeTestbed

PORT = 5432
PASSWORD = "pw-for-the-testbed"
ROLES = [
    "CREATE ROLE tenant_api LOGIN PASSWORD '{pw}'",
    "CREATE DATABASE tenant_platform OWNER tenant_api",
    "CREATE ROLE tenant_provisioner LOGIN CREATEDB CREATEROLE PASSWORD '{pw}'",
]


def start_database(kube: KubeTestbed, address: str, pods: str) -> dict[str, str]:
    """The Secret `tenant-platform-db`'s two URLs."""
    root = kube.workdir / "postgres"
    root.mkdir()
    for directory in (kube.workdir, root):
        os.chmod(directory, 0o755)  # the postgres user reaches its data directory
    cluster = PostgresCluster(root / "data").init()
    with open(cluster.data_dir / "pg_hba.conf", "a") as hba:
        hba.write(f"host all all {pods} scram-sha-256\n")
    # Under the testbed's processes: it goes with them, and runs in the namespace.
    process = kube._spawn("postgres", [
        "runuser", "-u", "postgres", "--", pg_bin("postgres"), "-D", str(cluster.data_dir),
        "-p", str(PORT), "-c", f"listen_addresses={address}",
        "-c", f"unix_socket_directories={cluster.data_dir}", "-c", "fsync=off"])
    psql = ["runuser", "-u", "postgres", "--", pg_bin("psql"), "-h", str(cluster.data_dir),
            "-p", str(PORT), "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
    deadline = time.monotonic() + START_SECONDS
    while subprocess.run([*psql, "-c", "SELECT 1"], capture_output=True).returncode != 0:
        process.check_running()
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL not answering:\n{kube.logs()}")
        time.sleep(0.2)
    for statement in ROLES:
        subprocess.run([*psql, "-c", statement.format(pw=PASSWORD)], check=True,
                       capture_output=True)
    base = f"{PASSWORD}@{address}:{PORT}"
    return {"DATABASE_URL": f"postgresql://tenant_api:{base}/tenant_platform",
            "PROVISIONER_DATABASE_URL": f"postgresql://tenant_provisioner:{base}/postgres"}
