"""Wires settings, NATS, PostgreSQL and the consumer; handles SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

import nats
import uvloop

from tenant_provisioner.advisories import watch_max_deliveries
from tenant_provisioner.consumer import RequestConsumer
from tenant_provisioner.event_store import EventStore
from tenant_provisioner.processor import Processor
from tenant_provisioner.settings import Settings, SettingsError
from tenant_provisioner.tenant_db import TenantDatabases
from tenant_provisioner.tracing import Tracing

log = logging.getLogger("tenant_provisioner")


async def run(settings: Settings, tracing: Tracing) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    nc = await nats.connect(settings.nats_url, name="tenant-provisioner",
                            max_reconnect_attempts=-1)
    databases = TenantDatabases(settings.database_url, settings.concurrency)
    try:
        js = nc.jetstream()
        store = EventStore(js)
        await store.ensure_stream(settings.stream_replicas)
        processor = Processor(store=store, databases=databases, policy=settings.policy,
                              stage_delay=settings.stage_delay, tracing=tracing)
        consumer = RequestConsumer(nc, js, settings, processor)
        await consumer.ensure()
        advisories = await watch_max_deliveries(nc, settings.consumer, store, processor)
        log.info("provisioner consuming as %r (backoff %s, max_deliver %d)", settings.consumer,
                 settings.backoff, settings.max_deliver)
        await consumer.run(stop)
        await advisories.unsubscribe()
    finally:
        await databases.close()
        if nc.is_connected:
            await nc.drain()
        else:
            await nc.close()  # reconnecting: drain() refuses, and nothing can flush
    log.info("provisioner stopped")


def main() -> None:
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(f"tenant_provisioner: {exc}", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    tracing = Tracing.exporting_to(settings.otel_endpoint)
    if settings.otel_endpoint:
        log.info("exporting spans over OTLP/HTTP to %s", settings.otel_endpoint)
    try:
        uvloop.run(run(settings, tracing))
    finally:
        tracing.shutdown()  # flushes the spans of the last requests before the exit
