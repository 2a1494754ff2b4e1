"""Wires the notifier: settings, NATS, the feed, the WebSocket server, signals."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

import uvloop

from tenant_notifier.auth import TokenVerifier, VerifiedTokens
from tenant_notifier.connection import Sessions
from tenant_notifier.http import http_routes
from tenant_notifier.hub import Stats
from tenant_notifier.metrics import Metrics
from tenant_notifier.presence import answer_presence
from tenant_notifier.protocol import CLOSE_RESTARTING
from tenant_notifier.server import SessionServer
from tenant_notifier.settings import Settings
from tenant_notifier.shared_call import SharedCall
from tenant_notifier.stream import StreamFeed, StreamReplay
from tenant_notifier.tracing import Tracing
from tenant_stream.connection import close, connect
from tenant_stream.logs import settings_or_exit
from tenant_stream.setup import Keeper

log = logging.getLogger("tenant_notifier")

GC_THRESHOLDS = (5_000, 10, 100)  # CPython's defaults: (700, 10, 10)

# Why the `websockets` library's frame layer rather than Litestar on uvicorn: ASGI's
# websocket.send carries text frames as `str`, so the server would re-encode
# every event to UTF-8 once per session; here one pre-encoded frame is written
# to every session as is (wire.py). It also gives per-session control of the
# write buffer (slow clients, 4008), of pings (dead sessions dropped within two
# intervals, even behind a full buffer) and the 64 KB client-frame limit (1009).
# The HTTP head and the upgrade are our own (server.py, handshake.py), which also
# serve /healthz, /readyz and /metrics beside /ws.


async def run(settings: Settings, tracing: Tracing) -> None:
    feeds: list[StreamFeed] = []  # set once started; the callbacks below need it

    async def on_reconnected() -> None:
        for feed in feeds:
            feed.resume("reconnected to NATS")

    recreated: list[str] = []

    async def on_repaired() -> None:
        # A re-created stream starts its seqs over: the window and every client's `after`
        # refer to the old one. Not ready until restarted (then it reads the new one).
        recreated.append("the stream was re-created after it vanished: restart the notifier")

    nc = await connect(settings.nats, "tenant-notifier", reconnected_cb=on_reconnected)
    js = nc.jetstream()
    # Created at start if missing, and re-created at run time if it vanishes.
    keeper = Keeper(js, settings.stream_replicas, on_repaired=on_repaired)
    while True:
        await keeper.check()
        if keeper.problem is None:
            break
        await asyncio.sleep(0.5)
    keeper.start()
    feed = await StreamFeed.start(nc, settings.window, Stats(), tracing)
    feeds.append(feed)
    # One head lookup at a time, shared by connects and scrapes that asked before it began.
    refresh_stream_head = SharedCall(feed.refresh_stream_head)
    sessions = Sessions(settings=settings, hub=feed.hub,
                        verifier=VerifiedTokens(TokenVerifier(settings.jwt)),
                        open_replay=lambda after: StreamReplay.open(js, after),
                        refresh_stream_head=refresh_stream_head)
    # The mailer asks whether an owner is watching before it emails them.
    await answer_presence(nc, sessions.count_of)
    metrics = Metrics(feed.hub, lambda: len(sessions.open), lambda: feed.feed.reopens)

    def not_ready() -> str | None:
        # Ready only while the feed follows the stream: a notifier that cannot see new
        # events would keep its sockets open and silent.
        if not nc.is_connected:
            return "not connected to NATS"
        return keeper.problem or (recreated[0] if recreated else None) or feed.problem

    tune_garbage_collector()
    server = SessionServer(sessions.handle,
                           http_routes(metrics.render, refresh_stream_head, not_ready),
                           settings.http, settings.close_timeout)
    await server.start(settings.host, settings.port)
    log.info("notifier listening on %s:%d", settings.host, settings.port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()

    log.info("shutting down: closing %d sessions with 1012", len(sessions.open))
    sessions.close_all(CLOSE_RESTARTING, "server restarting")
    server.close(CLOSE_RESTARTING, "server restarting")
    try:
        async with asyncio.timeout(settings.close_timeout + 1):
            await server.wait_closed()
    except TimeoutError:
        log.warning("some sessions did not close in time")
    sessions.keepalive.stop()
    await feed.stop()
    await keeper.stop()
    await close(nc)


def tune_garbage_collector() -> None:
    """Fewer full collections while thousands of sessions open at once.

    Each session holds some dozens of container objects (connection, protocol,
    parser, futures, frames of its coroutines), and every full collection walks
    all of them: opening 10,000 sessions ran eight of those, a third of the CPU
    the opening took. What was loaded at start is frozen (never walked again) and
    the collector waits for more allocations between passes; sessions' objects are
    freed by reference counting when they close, the collector only finds cycles.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main() -> None:
    settings = settings_or_exit("tenant_notifier", Settings.from_env)
    if settings.log_level != "DEBUG":
        logging.getLogger("websockets").setLevel(logging.WARNING)  # one line per socket is noise
    tracing = Tracing.exporting_to(settings.otel_endpoint)
    if settings.otel_endpoint:
        log.info("exporting spans over OTLP/HTTP to %s", settings.otel_endpoint)
    try:
        uvloop.run(run(settings, tracing))
    finally:
        tracing.shutdown()  # flushes the spans of the last events before the exit
