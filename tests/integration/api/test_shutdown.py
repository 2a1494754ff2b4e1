"""Stopping the api (its lifespan's end: SIGTERM in production) drains its NATS
connection and closes its PostgreSQL pool, NATS reachable or not."""

from __future__ import annotations

import pytest

from tenantctl.nats_server import temporary_nats_server
from tests.conftest import nats_url_as, wait_until
from tests.integration.api.support import running_api, settings


@pytest.mark.parametrize("nats_down", [False, True], ids=["nats up", "nats down"])
async def test_stopping_closes_nats_and_the_pool(fresh_database: str, nats_down: bool) -> None:
    with temporary_nats_server("api-stop-nats-") as nats:
        async with running_api(settings(nats_url_as(nats, "api"), fresh_database)) as api:
            runtime = api.runtime
            nc, pool = runtime.nc, runtime.pool
            assert nc is not None and pool is not None
            if nats_down:
                nats.kill()
                await wait_until(lambda: not nc.is_connected, timeout=10)
            assert not nc.is_closed and not pool.is_closing()
        assert nc.is_closed
        assert pool.is_closing()
