"""tenantctl: run the platform locally and operate it (SPEC section 6)."""

from __future__ import annotations

import argparse
import os
import sys

from tenantctl.tokens import DEFAULT_AUDIENCE, mint_token, parse_ttl


def _token(args: argparse.Namespace) -> int:
    secret = os.environ.get("JWT_SECRET")
    if not secret:
        from tenantctl.dev import read_dev_secret

        secret = read_dev_secret()
    if not secret:
        print("tenantctl token: set JWT_SECRET (or run `tenantctl dev` once)", file=sys.stderr)
        return 2
    print(mint_token(secret, args.sub, args.role, parse_ttl(args.ttl),
                     os.environ.get("JWT_AUDIENCE", DEFAULT_AUDIENCE),
                     os.environ.get("JWT_ISSUER") or None, args.email))
    return 0


def _dev(args: argparse.Namespace) -> int:
    from tenantctl.dev import run_dev

    return run_dev(args)


def _nats_creds(args: argparse.Namespace) -> int:
    import shlex
    from pathlib import Path

    from tenantctl.nats_auth import CREDENTIALS_FILE, cli_options

    data_dir = Path(args.data_dir)
    if not (data_dir / CREDENTIALS_FILE).exists():
        print(f"tenantctl nats-creds: no {data_dir / CREDENTIALS_FILE}: run `tenantctl dev "
              f"--data-dir {data_dir}` once", file=sys.stderr)
        return 2
    # Unquoted word splitting by `nats $(...)`: the values never hold spaces or quotes
    # (token_urlsafe passwords, paths under the data dir), and shlex.join shows if they do.
    print(shlex.join(cli_options(data_dir, args.name)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tenantctl")
    commands = parser.add_subparsers(dest="command", required=True)

    token = commands.add_parser("token", help="print a JWT for the configured secret")
    token.add_argument("--sub", required=True)
    token.add_argument("--role", action="append", default=[], help="repeatable, e.g. admin")
    token.add_argument("--ttl", default="1h", help="e.g. 90s, 15m, 1h, 7d")
    token.add_argument("--email", help="the `email` claim: where the owner's emails go")
    token.set_defaults(handler=_token)

    dev = commands.add_parser("dev", help="run the whole platform on this machine")
    dev.add_argument("--data-dir", default=".data")
    dev.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", 8000)))
    dev.add_argument("--notifier-port", type=int,
                     default=int(os.environ.get("NOTIFIER_PORT", 8001)))
    dev.add_argument("--nats-port", type=int, default=4222)
    dev.add_argument("--postgres-port", type=int, default=5433)
    dev.add_argument("--provisioner-port", type=int,
                     default=int(os.environ.get("PROVISIONER_PORT", 8002)))
    dev.add_argument("--cluster", action="store_true",
                     help="three nats-server nodes (stream replicas 3) and two replicas of "
                          "each service, for trying failover")
    dev.add_argument("--nats-tls", action="store_true",
                     help="NATS over TLS only, with a local CA made under the data dir")
    dev.set_defaults(handler=_dev)

    from tenantctl.nats_auth import PRINCIPALS

    creds = commands.add_parser(
        "nats-creds", help="print a NATS principal's options for the stock nats CLI")
    creds.add_argument("name", choices=PRINCIPALS)
    creds.add_argument("--data-dir", default=".data", help="the one `tenantctl dev` used")
    creds.set_defaults(handler=_nats_creds)

    from tenantctl import watch

    watch.add_parser(commands)

    from tenantctl import projections

    projections.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.handler(args))
