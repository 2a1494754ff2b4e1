"""Wires the mailer: settings, NATS, its consumer, signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvloop

from tenant_contracts.subjects import STREAM_NAME
from tenant_mailer import metrics
from tenant_mailer.consumer import Mailer, consumer_config
from tenant_mailer.settings import Settings
from tenant_stream.connection import close, connect
from tenant_stream.logs import settings_or_exit
from tenant_stream.probes import serve_health
from tenant_stream.setup import Keeper

log = logging.getLogger("tenant_mailer")


async def run(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if settings.smtp is None:
        log.warning("SMTP_URL is not set: email is off; the mailer idles")
        # Ready: with email off there is no work it cannot do.
        health = await serve_health(settings.host, settings.port, _nothing_wrong, _no_refresh)
        await stop.wait()
        health.close()
        return
    nc = await connect(settings.nats, "tenant-mailer")
    # Its consumer: made at start, and again if it vanishes; the stream is the api's
    # and the provisioner's to create, so the mailer waits for it.
    keeper = Keeper(nc.jetstream(), replicas=1, consumer=consumer_config(settings),
                    creates_stream=False)

    async def readiness() -> dict[str, str | None]:
        return {"nats": None if nc.is_connected else "not connected to NATS",
                "consumer": keeper.problem}

    async def refresh_metrics() -> None:
        info = await nc.jetstream().consumer_info(STREAM_NAME, settings.consumer)
        metrics.CONSUMER_PENDING.set(info.num_pending or 0)
        metrics.CONSUMER_ACK_PENDING.set(info.num_ack_pending or 0)

    health = await serve_health(settings.host, settings.port, readiness, refresh_metrics)
    try:
        keeper.start()  # checks at once, then every few seconds
        while keeper.problem is not None and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)  # the stream may come later
        log.info("mailer consuming as %s, sending via %r, health on :%d", settings.consumer,
                 settings.smtp, settings.port)
        await Mailer(nc, settings, settings.smtp).run(stop)
    finally:
        await keeper.stop()
        health.close()
        await close(nc)
    log.info("mailer stopped")


async def _nothing_wrong() -> dict[str, str | None]:
    return {}


async def _no_refresh() -> None:
    return None


def main() -> None:
    settings = settings_or_exit("tenant_mailer", Settings.from_env)
    uvloop.run(run(settings))
