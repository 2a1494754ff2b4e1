"""The api and the notifier as real processes, for bytes no well-behaved client sends.

They get a nats-server of their own (no provisioner acts on what the fuzzers
create) and short HTTP timeouts, so that the timeout tests take seconds.
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster
from tests.conftest import unique_database
from tests.e2e.harness import Platform

# Examples per fuzz target: a few seconds each here; raise it for a longer hunt.
FUZZ_EXAMPLES = int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "300"))
fuzz = settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
HEADER_TIMEOUT_SECONDS = 2.0
BODY_TIMEOUT_SECONDS = 2.0
IDLE_TIMEOUT_SECONDS = 1.0
# Any line at ERROR or above, or a traceback, in either process's log.
BAD_LOG_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback")


@pytest.fixture(scope="package")
def hostile_nats() -> Iterator[NatsServer]:
    with temporary_nats_server("hostile-nats-") as server:
        yield server


@pytest.fixture(scope="package")
async def hostile_database(postgres: PostgresCluster) -> str:
    return await unique_database(postgres, "hostile")


@pytest.fixture(scope="package")
def platform(hostile_nats: NatsServer, hostile_database: str) -> Iterator[Platform]:
    running = Platform(
        nats_url=hostile_nats.url, nats_credentials=hostile_nats.auth,
        database_url=hostile_database,
        provisioner_database_url="unused",
        extra_env={"HTTP_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT_SECONDS),
                   "HTTP_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_SECONDS),
                   "HTTP_IDLE_TIMEOUT_SECONDS": str(IDLE_TIMEOUT_SECONDS)},
    ).start("api", "notifier")
    yield running
    running.stop()


class Watch:
    """What a test added to the logs, and whether both processes still serve."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.offsets = {name: len(platform.log(name)) for name in ("api", "notifier")}

    def new_log(self, name: str) -> str:
        return self.platform.log(name)[self.offsets[name]:]

    def assert_clean_and_serving(self) -> None:
        for name in ("api", "notifier"):
            bad = [line for line in self.new_log(name).splitlines() if BAD_LOG_LINE.search(line)]
            assert not bad, f"{name} logged:\n" + "\n".join(bad[:20])
            assert self.platform.services[name].running, f"{name} exited"
        for url in (f"{self.platform.api_url}/readyz",
                    f"http://127.0.0.1:{self.platform.notifier_port}/readyz"):
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200, url


@pytest.fixture
def watch(platform: Platform) -> Iterator[Watch]:
    """Every test here ends with both logs free of ERROR and both processes serving."""
    watching = Watch(platform)
    yield watching
    watching.assert_clean_and_serving()
