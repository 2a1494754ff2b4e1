"""`tenantctl projections rebuild`: replay the stream into the api's read model."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


def run_rebuild(args: argparse.Namespace) -> int:
    if not args.database_url:
        print("tenantctl projections rebuild: pass --database-url or set DATABASE_URL",
              file=sys.stderr)
        return 2
    from tenant_api.rebuild import rebuild
    from tenant_stream.connection import NatsSettings

    # Credentials and TLS as the services take them; --nats-url overrides the servers.
    nats = NatsSettings.from_env({**os.environ, "NATS_URL": args.nats_url})
    try:
        report = asyncio.run(rebuild(args.database_url, nats))
    except Exception as exc:  # the transaction rolled back: the old read model stands
        print(f"tenantctl projections rebuild failed, nothing changed: {exc!r}",
              file=sys.stderr)
        return 1
    print(f"rebuilt the read model from seq 1: {report.events} events, {report.tenants} "
          f"tenants in {report.seconds:.2f} s ({report.rate:.0f} events/s), "
          f"{report.cpu_seconds:.2f} s of CPU in this process", flush=True)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("projections", help="operate the api's read model")
    actions = parser.add_subparsers(dest="projection_command", required=True)
    rebuild = actions.add_parser(
        "rebuild", help="drop the read model and replay the stream from seq 1")
    rebuild.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                         help="the api's database (default: $DATABASE_URL)")
    rebuild.add_argument("--nats-url",
                         default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    rebuild.set_defaults(handler=run_rebuild)
