"""Wires settings, NATS, PostgreSQL, the consumer and the health port; handles SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

import uvloop

from tenant_contracts.subjects import STREAM_NAME
from tenant_provisioner import metrics
from tenant_provisioner.advisories import watch_max_deliveries
from tenant_provisioner.consumer import RequestConsumer, consumer_config
from tenant_provisioner.heartbeat import send_heartbeats
from tenant_provisioner.processor import Processor
from tenant_provisioner.settings import Settings
from tenant_provisioner.tenant_db import TenantDatabases
from tenant_provisioner.tracing import Tracing
from tenant_stream.connection import close, connect
from tenant_stream.event_log import EventLog
from tenant_stream.logs import settings_or_exit
from tenant_stream.probes import serve_health
from tenant_stream.setup import Keeper

log = logging.getLogger("tenant_provisioner")


async def run(settings: Settings, tracing: Tracing) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    # SIGTERM while NATS is still out of reach: stop waiting and exit.
    connecting = asyncio.ensure_future(connect(settings.nats, "tenant-provisioner"))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not connecting.done():
        connecting.cancel()
        log.info("provisioner stopped before NATS answered")
        return
    nc = connecting.result()
    js = nc.jetstream()
    # The stream and the durable consumer: created at start, re-created if they vanish.
    keeper = Keeper(js, settings.stream_replicas, consumer=consumer_config(settings))

    async def readiness() -> dict[str, str | None]:
        return {"nats": None if nc.is_connected else "not connected to NATS",
                "stream": keeper.problem}

    async def refresh_metrics() -> None:
        info = await js.consumer_info(STREAM_NAME, settings.consumer)
        metrics.CONSUMER_PENDING.set(info.num_pending or 0)
        metrics.CONSUMER_ACK_PENDING.set(info.num_ack_pending or 0)
        metrics.CONSUMER_REDELIVERED.set(info.num_redelivered or 0)

    health = await serve_health(settings.host, settings.port, readiness, refresh_metrics)
    databases = TenantDatabases(settings.database_url, settings.concurrency)
    try:
        await keeper.check()  # then every few seconds: a missing consumer comes back
        keeper.start()
        store = EventLog(nc)
        processor = Processor(store=store, databases=databases, policy=settings.policy,
                              stage_delay=settings.stage_delay, tracing=tracing)
        consumer = RequestConsumer(nc, js, settings, processor)
        advisories = await watch_max_deliveries(nc, settings.consumer, store, processor)
        heartbeats = asyncio.create_task(send_heartbeats(nc, consumer.in_flight))
        log.info("provisioner consuming as %r (backoff %s, max_deliver %d), health on :%d",
                 settings.consumer, settings.backoff, settings.max_deliver, settings.port)
        await consumer.run(stop)
        heartbeats.cancel()
        await advisories.unsubscribe()
    finally:
        await keeper.stop()
        health.close()
        await databases.close()
        await close(nc)
    log.info("provisioner stopped")


def main() -> None:
    settings = settings_or_exit("tenant_provisioner", Settings.from_env)
    tracing = Tracing.exporting_to(settings.otel_endpoint)
    if settings.otel_endpoint:
        log.info("exporting spans over OTLP/HTTP to %s", settings.otel_endpoint)
    try:
        uvloop.run(run(settings, tracing))
    finally:
        tracing.shutdown()  # flushes the spans of the last requests before the exit
