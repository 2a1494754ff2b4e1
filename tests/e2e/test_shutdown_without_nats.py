"""SIGTERM while NATS is unreachable: every service still closes what it holds and exits."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

from tenantctl.nats_server import temporary_nats_server
from tests.conftest import wait_until
from tests.e2e.harness import Platform


def _answers_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.HTTPError, OSError):
        return False


async def test_sigterm_while_nats_is_down_exits_cleanly(
    fresh_database: str, admin_database_url: str
) -> None:
    with temporary_nats_server("tp-shutdown-nats-") as nats:
        platform = Platform(nats_url=nats.url, nats_credentials=nats.auth,
                            database_url=fresh_database,
                            provisioner_database_url=admin_database_url).start()
        try:
            nats.kill()
            # Both HTTP services report the lost connection: they are reconnecting now.
            await wait_until(lambda: not _answers_ok(f"{platform.api_url}/readyz"))
            await wait_until(lambda: not _answers_ok(
                f"http://127.0.0.1:{platform.notifier_port}/readyz"))
            codes = {name: await asyncio.to_thread(service.stop)
                     for name, service in platform.services.items()}
        finally:
            platform.stop()
    # uvicorn re-raises SIGTERM after its own graceful shutdown: -15 is its clean exit.
    assert codes == {"api": -15, "provisioner": 0, "notifier": 0}, codes
    for name in codes:
        assert "Traceback" not in platform.log(name), platform.log(name)
    # The provisioner's 0 is its run() returning after closing what it holds (a failed
    # close would raise: exit 1). The api's -15 cannot tell: its closing with NATS down
    # is checked on the app itself (tests/integration/api/test_shutdown.py).
