"""Wires the mailer: settings, NATS, its consumer, signals."""

from __future__ import annotations

import asyncio
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
from tenant_stream.setup import ensure_consumer

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
    consumer: str | None = "not created yet"

    async def readiness() -> dict[str, str | None]:
        return {"nats": None if nc.is_connected else "not connected to NATS",
                "consumer": consumer}

    async def refresh_metrics() -> None:
        info = await nc.jetstream().consumer_info(STREAM_NAME, settings.consumer)
        metrics.CONSUMER_PENDING.set(info.num_pending or 0)
        metrics.CONSUMER_ACK_PENDING.set(info.num_ack_pending or 0)

    health = await serve_health(settings.host, settings.port, readiness, refresh_metrics)
    try:
        # The stream is the api's and the provisioner's to create: wait for it.
        while not stop.is_set():
            try:
                await ensure_consumer(nc.jetstream(), consumer_config(settings))
                consumer = None
                break
            except Exception as exc:
                consumer = f"consumer {settings.consumer} not ready: {exc!r}"
                log.warning("consumer %s not ready (%r); retrying", settings.consumer, exc)
                await asyncio.sleep(1.0)
        log.info("mailer consuming as %s, sending via %r, health on :%d", settings.consumer,
                 settings.smtp, settings.port)
        await Mailer(nc, settings, settings.smtp).run(stop)
    finally:
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
