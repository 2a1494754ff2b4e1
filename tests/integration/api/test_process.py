"""`python -m tenant_api` as a real process: readiness, SIGTERM, and a Schemathesis run."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import signal
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tenantctl.nats_auth import NatsCredentials
from tenantctl.nats_server import NatsServer
from tenantctl.ports import free_port
from tenantctl.postgres import PostgresCluster
from tenantctl.services import ServiceProcess, wait_http_ok
from tests.conftest import JWT_SECRET, unique_database, wait_until
from tests.integration.api.support import auth

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
EXAMPLES_PER_OPERATION = 60


def _env(nats: NatsServer, database_url: str, port: int) -> dict[str, str]:
    import os

    return dict(os.environ) | nats.env("api") | {"DATABASE_URL": database_url,
                               "JWT_SECRET": JWT_SECRET, "API_PORT": str(port),
                               "API_HOST": "127.0.0.1", "DEV_TOKENS": "1",
                               "PYTHONUNBUFFERED": "1"}


class RunningApi:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = int(env["API_PORT"])
        self.log = Path(tempfile.mkdtemp(prefix="api-log-")) / "api.log"
        self.service = ServiceProcess("api", env, log_file=self.log).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def status(self, path: str) -> tuple[int, dict[str, object]]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop_gracefully(self) -> None:
        """SIGTERM: in-flight requests finish, the lifespan closes NATS and the pool."""
        code = self.service.stop()
        log = self.log.read_text(errors="replace")
        shutil.rmtree(self.log.parent, ignore_errors=True)
        # uvicorn re-raises the SIGTERM after its graceful shutdown, hence -15. That NATS
        # is drained and the pool closed is checked on the app itself
        # (test_shutdown.py): the exit code cannot tell.
        assert code in (0, -signal.SIGTERM), log


@pytest.fixture(scope="module")
async def process_database(postgres: PostgresCluster) -> str:
    # Not the package's api_database: the in-process api projecting into that one is
    # frozen between tests (its event loop only runs during async tests) and may hold
    # the projection's row lock, which would keep this process from ever catching up.
    return await unique_database(postgres, "api_process")


@pytest.fixture(scope="module")
def api_process(api_nats: NatsServer, process_database: str) -> Iterator[RunningApi]:
    running = RunningApi(_env(api_nats, process_database, free_port()))
    try:
        wait_http_ok(f"{running.url}/readyz", 30, running.service)
    except (TimeoutError, RuntimeError) as exc:
        running.service.stop()
        raise AssertionError(f"{exc}\n--- api log ---\n"
                             f"{running.log.read_text(errors='replace')[-8000:]}") from exc
    yield running
    running.stop_gracefully()


def _has_inputs(operation: APIOperation) -> bool:
    return any(len(group) for group in (operation.path_parameters, operation.query,
                                        operation.headers, operation.body))


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
        api_process: RunningApi) -> None:
    schema = schemathesis.openapi.from_url(f"{api_process.url}/schema/openapi.json")
    headers = auth("fuzzer")
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11

    # Valid requests and invalid ones (wrong types, broken constraints, missing fields).
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
            continue  # nothing to get wrong

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=api_process.url, headers=headers, checks=CHECKS)

        fuzz()
    print(f"\nschemathesis: {len(operations)} operations x 2 modes x {EXAMPLES_PER_OPERATION} "
          "examples "
          f"in {time.monotonic() - started:.1f} s")


async def test_readyz_waits_for_nats(fresh_database: str) -> None:
    port, store = free_port(), Path(tempfile.mkdtemp(prefix="api-late-nats-"))
    nats_server = NatsServer(store_dir=store, port=port, auth=NatsCredentials.generate())
    running = RunningApi(_env(nats_server, fresh_database, free_port()))
    try:
        await asyncio.to_thread(wait_http_ok, f"{running.url}/healthz", 30, running.service)
        code, problem = running.status("/readyz")
        assert code == 503 and "nats" in str(problem["detail"]), problem
        nats_server.start()
        await wait_until(lambda: running.status("/readyz")[0] == 200, 20)
    finally:
        running.stop_gracefully()
        nats_server.stop()
        shutil.rmtree(store, ignore_errors=True)


def test_sigterm_stops_it_cleanly(api_nats: NatsServer, fresh_database: str) -> None:
    running = RunningApi(_env(api_nats, fresh_database, free_port()))
    wait_http_ok(f"{running.url}/readyz", 30, running.service)
    started = time.monotonic()
    running.stop_gracefully()
    assert time.monotonic() - started < 10
