"""Settings from the environment, read once when the notifier starts (never at import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tenant_contracts.env import (
    SettingsError,
    read_float,
    read_int,
    read_log_level,
    read_optional,
    read_str,
)
from tenant_contracts.http_limits import HttpLimits, http_limits_from_env
from tenant_contracts.jwt_settings import JwtSettings, jwt_settings_from_env
from tenant_stream.connection import NatsSettings

__all__ = ["Settings", "SettingsError"]


@dataclass(frozen=True, kw_only=True)
class Settings:
    nats: NatsSettings
    stream_replicas: int
    host: str
    port: int
    ping_interval: float  # seconds between server pings; no pong within one more: dropped
    session_buffer: int  # live frames queued per session before it is closed as too slow
    window: int  # recent events kept in memory for resuming sessions
    close_timeout: float  # how long a closing handshake may take before the TCP is cut
    log_level: str
    jwt: JwtSettings
    # Header size and read timeout (the handshake's open_timeout), as on the api.
    http: HttpLimits = field(default_factory=HttpLimits)
    otel_endpoint: str | None = None  # OTLP/HTTP base URL; no spans exported when unset

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            nats=NatsSettings.from_env(env),
            stream_replicas=read_int(env, "STREAM_REPLICAS", 1, minimum=1),
            host=read_str(env, "NOTIFIER_HOST", "0.0.0.0"),
            port=read_int(env, "NOTIFIER_PORT", 8001, minimum=0),
            ping_interval=read_float(env, "NOTIFIER_PING_INTERVAL_SECONDS", 20.0, positive=True),
            session_buffer=read_int(env, "NOTIFIER_SESSION_BUFFER", 1024, minimum=1),
            window=read_int(env, "NOTIFIER_WINDOW", 10_000, minimum=1),
            close_timeout=read_float(env, "NOTIFIER_CLOSE_TIMEOUT_SECONDS", 5.0, positive=True),
            log_level=read_log_level(env),
            jwt=jwt_settings_from_env(env),
            http=http_limits_from_env(env),
            otel_endpoint=read_optional(env, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        )
