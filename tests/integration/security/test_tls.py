"""NATS over TLS with a CA the test makes: the services' connection settings and the
stock CLI get through, a plain connection does not."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from tenant_contracts.subjects import STREAM_NAME
from tenant_stream.connection import NatsSettings
from tenant_stream.setup import ensure_stream
from tenantctl.nats_auth import NatsCredentials
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.ports import free_port
from tenantctl.services import PlatformConfig, ServiceProcess, wait_http_ok
from tenantctl.tls import make_local_ca
from tests.e2e.harness import JWT_SECRET
from tests.integration.security.conftest import cli_as
from tests.integration.security.support import run_cli

PLAIN_REFUSED = (OSError, nats.errors.Error, asyncio.TimeoutError)


@pytest.fixture(scope="module")
def tls_nats() -> Iterator[NatsServer]:
    with temporary_nats_server("tls-nats-", tls=True) as server:
        yield server


def plain_url(server: NatsServer) -> str:
    return f"nats://127.0.0.1:{server.port}"


async def test_services_settings_connect_over_tls(tls_nats: NatsServer) -> None:
    env = tls_nats.env("api")
    assert env["NATS_URL"].startswith("tls://") and env["NATS_TLS_CA"]
    nc = await nats.connect(**NatsSettings.from_env(env).connect_options(),
                            allow_reconnect=False)
    try:
        await ensure_stream(nc.jetstream(), replicas=1)
        assert (await nc.jetstream().stream_info(STREAM_NAME)).config.name == STREAM_NAME
    finally:
        await nc.close()


async def test_a_plain_connection_is_refused(tls_nats: NatsServer) -> None:
    plain = {**tls_nats.connect_options("admin"), "servers": [plain_url(tls_nats)]}
    plain.pop("tls")
    with pytest.raises(PLAIN_REFUSED):
        await nats.connect(**plain, allow_reconnect=False, connect_timeout=2)
    untrusted = {k: v for k, v in tls_nats.env("admin").items() if k != "NATS_TLS_CA"}
    with pytest.raises(PLAIN_REFUSED):  # tls:// with the system's CAs: the local CA is unknown
        await nats.connect(**NatsSettings.from_env(untrusted).connect_options(),
                           allow_reconnect=False, connect_timeout=2)


async def test_the_cli_needs_the_ca(tls_nats: NatsServer) -> None:
    options = cli_as(tls_nats, "operator")
    assert "--tlsca" in options
    done = await asyncio.to_thread(run_cli, options, "account", "info")
    assert done.returncode == 0, done.stdout + done.stderr
    without_ca = options[: options.index("--tlsca")]
    done = await asyncio.to_thread(run_cli, without_ca, "account", "info")
    assert done.returncode != 0
    plain = ["--server", plain_url(tls_nats), *without_ca[2:]]
    done = await asyncio.to_thread(run_cli, plain, "account", "info")
    assert done.returncode != 0


async def test_client_certificates_when_the_server_verifies_them() -> None:
    store = Path(tempfile.mkdtemp(prefix="tls-verify-"))
    files = make_local_ca(store / "tls")
    server = NatsServer(store_dir=store, auth=NatsCredentials.generate(),
                        extra_config=files.server_block(verify_clients=True)).start()
    try:
        assert server.auth is not None
        base = {"NATS_URL": f"tls://127.0.0.1:{server.port}", **server.auth.env("notifier")}
        with_cert = NatsSettings.from_env({**base, **files.client_env(with_certificate=True)})
        nc = await nats.connect(**with_cert.connect_options(), allow_reconnect=False)
        await nc.close()
        without = NatsSettings.from_env({**base, **files.client_env()})
        with pytest.raises(PLAIN_REFUSED):
            await nats.connect(**without.connect_options(), allow_reconnect=False,
                               connect_timeout=2)
    finally:
        server.stop()
        shutil.rmtree(store, ignore_errors=True)


def test_the_api_process_runs_over_tls(tls_nats: NatsServer, fresh_database: str) -> None:
    assert tls_nats.tls is not None
    port = free_port()
    config = PlatformConfig(
        nats_url=tls_nats.url, nats_credentials=tls_nats.auth,
        nats_tls_ca=str(tls_nats.tls.ca_file), database_url=fresh_database,
        provisioner_database_url="unused", jwt_secret=JWT_SECRET, api_port=port,
        notifier_port=0)
    log = Path(tempfile.mkdtemp(prefix="tls-api-")) / "api.log"
    api = ServiceProcess("api", config.env("api"), log_file=log).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/readyz", 60, api)
    finally:
        api.stop()
