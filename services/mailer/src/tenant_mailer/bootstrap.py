"""Wires the mailer: settings, NATS, its consumer, signals."""

from __future__ import annotations

import asyncio
import logging
import signal

import uvloop

from tenant_mailer.consumer import Mailer, consumer_config
from tenant_mailer.settings import Settings
from tenant_stream.connection import close, connect
from tenant_stream.logs import settings_or_exit
from tenant_stream.setup import ensure_consumer

log = logging.getLogger("tenant_mailer")


async def run(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if settings.smtp is None:
        log.warning("SMTP_URL is not set: email is off; the mailer idles")
        await stop.wait()
        return
    nc = await connect(settings.nats, "tenant-mailer")
    try:
        # The stream is the api's and the provisioner's to create: wait for it.
        while not stop.is_set():
            try:
                await ensure_consumer(nc.jetstream(), consumer_config(settings))
                break
            except Exception as exc:
                log.warning("consumer %s not ready (%r); retrying", settings.consumer, exc)
                await asyncio.sleep(1.0)
        log.info("mailer consuming as %s, sending via %r", settings.consumer, settings.smtp)
        await Mailer(nc, settings, settings.smtp).run(stop)
    finally:
        await close(nc)
    log.info("mailer stopped")


def main() -> None:
    settings = settings_or_exit("tenant_mailer", Settings.from_env)
    uvloop.run(run(settings))
