"""How every service reaches NATS: a seed list, credentials, TLS, one reconnect policy."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client as NatsClient

from tenant_contracts.env import SettingsError

log = logging.getLogger(__name__)

DEFAULT_URL = "nats://127.0.0.1:4222"
RECONNECT_WAIT_SECONDS = 0.5
# A node that hangs (paused, partitioned) keeps the socket open: without pings the
# client would wait minutes to notice. Two seconds, three unanswered: about 6 s.
PING_INTERVAL_SECONDS = 2
MAX_OUTSTANDING_PINGS = 3


class NatsSettingsError(SettingsError):
    """A NATS setting in the environment cannot be used; the message names it."""


@dataclass(frozen=True, kw_only=True)
class NatsSettings:
    """NATS_URL (one URL or a comma-separated seed list), the principal's credentials
    (NATS_CREDS, or NATS_USER + NATS_PASSWORD) and TLS (NATS_TLS_CA, NATS_TLS_CERT,
    NATS_TLS_KEY; a tls:// URL turns TLS on with the system's CAs)."""

    servers: tuple[str, ...] = (DEFAULT_URL,)
    user: str | None = None
    password: str | None = None
    creds_file: str | None = None
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NatsSettings:
        servers = parse_servers(env.get("NATS_URL", ""))
        user = env.get("NATS_USER") or None
        password = env.get("NATS_PASSWORD") or None
        if (user is None) != (password is None):
            raise NatsSettingsError("NATS_USER and NATS_PASSWORD must be set together")
        cert, key = env.get("NATS_TLS_CERT") or None, env.get("NATS_TLS_KEY") or None
        if (cert is None) != (key is None):
            raise NatsSettingsError("NATS_TLS_CERT and NATS_TLS_KEY must be set together")
        return cls(servers=servers, user=user, password=password,
                   creds_file=env.get("NATS_CREDS") or None,
                   tls_ca=env.get("NATS_TLS_CA") or None, tls_cert=cert, tls_key=key)

    @property
    def uses_tls(self) -> bool:
        return bool(self.tls_ca or self.tls_cert
                    or any(s.startswith("tls://") for s in self.servers))

    def tls_context(self) -> ssl.SSLContext | None:
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(cafile=self.tls_ca)
        if self.tls_cert and self.tls_key:
            context.load_cert_chain(self.tls_cert, self.tls_key)
        return context

    def connect_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"servers": list(self.servers)}
        if self.user is not None:
            options.update(user=self.user, password=self.password)
        if self.creds_file is not None:
            options["user_credentials"] = self.creds_file
        tls = self.tls_context()
        if tls is not None:
            options["tls"] = tls
        return options


def parse_servers(raw: str) -> tuple[str, ...]:
    """NATS_URL as nats-py and the `nats` CLI take it: one URL or a comma-separated list."""
    servers = tuple(part.strip() for part in raw.split(",") if part.strip())
    for server in servers:
        scheme = server.split("://", 1)[0] if "://" in server else ""
        if scheme not in ("nats", "tls", "ws", "wss"):
            raise NatsSettingsError(
                f"NATS_URL must be nats://, tls://, ws:// or wss:// URLs, got {server!r}")
    return servers or (DEFAULT_URL,)


async def _log_error(error: Exception) -> None:
    # nats-py keeps reconnecting by itself; one line per failure is enough.
    log.warning("NATS: %r", error)


async def connect(settings: NatsSettings, name: str, *,
                  reconnected_cb: Callable[[], Awaitable[None]] | None = None,
                  disconnected_cb: Callable[[], Awaitable[None]] | None = None,
                  error_cb: Callable[[Exception], Awaitable[None]] | None = None,
                  wait: bool = True) -> NatsClient:
    """A client that reconnects for ever, to whichever seed answers. With `wait` the
    first connect also waits for a node: a service may start while one node, or all,
    is still down; a refused authorization is raised at once (waiting cannot fix it)."""
    options = settings.connect_options()
    if reconnected_cb is not None:
        options["reconnected_cb"] = reconnected_cb
    if disconnected_cb is not None:
        options["disconnected_cb"] = disconnected_cb
    while True:
        try:
            return await nats.connect(
                name=name, max_reconnect_attempts=-1,
                reconnect_time_wait=RECONNECT_WAIT_SECONDS, connect_timeout=2,
                ping_interval=PING_INTERVAL_SECONDS, max_outstanding_pings=MAX_OUTSTANDING_PINGS,
                error_cb=error_cb or _log_error, **options)
        except (OSError, nats.errors.Error, TimeoutError) as exc:
            if not wait or "authorization" in str(exc).lower():
                raise
            log.warning("waiting for NATS at %s: %r", ",".join(settings.servers), exc)
            await asyncio.sleep(RECONNECT_WAIT_SECONDS)


async def close(nc: NatsClient) -> None:
    """Flush what is in flight and close; while reconnecting only close (drain refuses,
    and nothing can flush). nats-py may then still write its buffer to the dead
    transport and raise: the connection is closed all the same."""
    if nc.is_closed:
        return
    if nc.is_connected:
        await nc.drain()
        return
    try:
        await nc.close()
    except (RuntimeError, ConnectionError) as exc:
        # RuntimeError: the buffer written to a transport already gone; ConnectionError:
        # the server went away between the check above and the flush.
        log.info("NATS connection closed while disconnected (%r)", exc)
