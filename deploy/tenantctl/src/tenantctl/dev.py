"""`tenantctl dev`: the whole platform on one machine, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import threading
from pathlib import Path

from tenantctl.mail_sink import MailSink
from tenantctl.nats_auth import NatsCredentials, save_endpoint
from tenantctl.nats_server import LocalNats, NatsCluster, NatsServer
from tenantctl.ports import free_port
from tenantctl.postgres import PostgresCluster, cluster_dir, create_database
from tenantctl.services import PlatformConfig, ServiceProcess, wait_http_ok
from tenantctl.spawn import run_or_defer
from tenantctl.tls import TlsFiles, make_local_ca
from tenantctl.tokens import mint_token

READ_MODEL_DB = "tenant_platform"


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while the platform was still starting."""


def _secret_file(data_dir: Path) -> Path:
    return data_dir / "jwt-secret"


def read_dev_secret(data_dir: str = ".data") -> str | None:
    path = _secret_file(Path(data_dir))
    return path.read_text().strip() if path.exists() else None


def _dev_secret(data_dir: Path) -> str:
    if os.environ.get("JWT_SECRET"):
        return os.environ["JWT_SECRET"]
    path = _secret_file(data_dir)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _nats(args: argparse.Namespace, data_dir: Path, credentials: NatsCredentials,
          tls: TlsFiles | None) -> LocalNats:
    if not args.cluster:
        return LocalNats(single=NatsServer(store_dir=data_dir / "nats", port=args.nats_port,
                                           auth=credentials, tls=tls))
    ports = [args.nats_port + i for i in range(3)]
    return LocalNats(cluster=NatsCluster(base_dir=data_dir / "nats-cluster", ports=ports,
                                         auth=credentials, tls=tls))


def nats_nodes(nats: LocalNats) -> str:
    if nats.cluster is None:
        return ""
    return "".join(f"\n    node {n.name}: {n.url} (monitor http://localhost:{n.monitor_port})"
                   for n in nats.cluster.nodes)


def _interrupt() -> None:
    raise Interrupted


def run_dev(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    starting = threading.Event()
    starting.set()

    def on_signal(*_: object) -> None:
        stop.set()
        if starting.is_set():
            # Unwinds whichever startup step is waiting (finally cleans up); never
            # between starting a child and recording it.
            run_or_defer(_interrupt)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)

    replicas = 2 if args.cluster else 1
    # Each principal's password, kept across runs (`tenantctl nats-creds NAME` prints them).
    credentials = NatsCredentials.load_or_create(data_dir)
    tls = make_local_ca(data_dir / "nats-tls") if args.nats_tls else None
    nats = _nats(args, data_dir, credentials, tls)
    save_endpoint(data_dir, nats.url, str(tls.ca_file) if tls else None)
    cluster: PostgresCluster | None = None
    services: list[ServiceProcess] = []
    # The mailer's SMTP server: keeps every email as a file to read (printed below).
    mail = MailSink(free_port(), directory=data_dir / "mail")
    try:
        mail.start()
        nats.start(data_dir / "logs")
        admin_url = os.environ.get("DATABASE_URL")
        if admin_url:
            database_url = admin_url
            provisioner_url = os.environ.get("PROVISIONER_DATABASE_URL", admin_url)
        else:
            # Assigned before it starts, so that an interrupted start is still stopped.
            cluster = PostgresCluster(data_dir=cluster_dir(data_dir / "postgres"),
                                      port=args.postgres_port)
            cluster.init().start()
            provisioner_url = cluster.url("postgres")
            asyncio.run(create_database(provisioner_url, READ_MODEL_DB, if_missing=True))
            database_url = cluster.url(READ_MODEL_DB)
        secret = _dev_secret(data_dir)
        config = PlatformConfig(
            nats_url=nats.url, database_url=database_url,
            provisioner_database_url=provisioner_url, jwt_secret=secret,
            api_port=args.api_port, notifier_port=args.notifier_port,
            nats_credentials=credentials, nats_tls_ca=str(tls.ca_file) if tls else None,
            # a pause per stage so a person can watch the progress bar fill
            extra_env={"DEV_TOKENS": "1", "PROVISIONER_STAGE_DELAY_SECONDS": "1",
                       "SMTP_URL": mail.url,
                       "STREAM_REPLICAS": "3" if args.cluster else "1"},
        )
        where: list[str] = []
        for replica in range(replicas):
            # Replica r listens 10 * r above the first one's ports.
            offset = 10 * replica
            ports = {"API_PORT": str(args.api_port + offset),
                     "NOTIFIER_PORT": str(args.notifier_port + offset),
                     "PROVISIONER_PORT": str(args.provisioner_port + offset)}
            for name in ("api", "provisioner", "notifier", "mailer"):
                label = f"{name}-{replica + 1}" if args.cluster else name
                # each service gets its own NATS principal's credentials only
                service = ServiceProcess(name, config.env(name) | ports,
                                         log_file=data_dir / "logs" / f"{label}.log")
                services.append(service)  # before it starts: an interrupt still stops it
                service.start()
                port_name = f"{name.upper()}_PORT"
                if port_name in ports:
                    where.append(f"  {label:<14} http://localhost:{ports[port_name]}/readyz")
        for service in services:
            if service.name == "mailer":
                continue  # no HTTP port: its log says when it consumes
            port = service.env[f"{service.name.upper()}_PORT"]
            wait_http_ok(f"http://127.0.0.1:{port}/readyz", 60, service)
        token = mint_token(secret, "admin", ["admin"], ttl_seconds=12 * 3600)
        print(f"""
tenant platform is up (logs in {data_dir / 'logs'})

  SPA + API   http://localhost:{args.api_port}/
  OpenAPI     http://localhost:{args.api_port}/schema
  WebSocket   ws://localhost:{args.notifier_port}/ws
  NATS        {nats.url}{nats_nodes(nats)}
  Mail        {mail.url} keeps every email in {mail.directory}
              as the operator: nats $(uv run tenantctl nats-creds operator) stream info TENANTS
  PostgreSQL  {database_url.replace(cluster.password, '***') if cluster else '(DATABASE_URL)'}

  admin token (12 h):
  {token}

processes:
{chr(10).join(where)}

Ctrl-C stops everything.""", flush=True)
        starting.clear()
        while not stop.wait(0.5):
            for service in services:
                if not service.running:
                    print(f"{service.name} exited; stopping the platform", flush=True)
                    stop.set()
        return 0
    except Interrupted:
        print("interrupted while starting", flush=True)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)  # let the clean-up below finish
        for service in reversed(services):
            service.stop()
        if cluster is not None:
            cluster.stop()
        nats.stop()
        mail.stop()
        print("stopped.", flush=True)
