"""Settings from the environment, read once when the notifier starts (never at import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tenant_contracts.http_limits import HttpLimits, HttpLimitsError, http_limits_from_env
from tenant_contracts.jwt_settings import JwtSettings, JwtSettingsError, jwt_settings_from_env
from tenant_stream.connection import NatsSettings, NatsSettingsError


class SettingsError(ValueError):
    pass


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
            nats=nats_from_env(env),
            stream_replicas=_int(env, "STREAM_REPLICAS", 1, minimum=1),
            host=env.get("NOTIFIER_HOST", "0.0.0.0"),
            port=_int(env, "NOTIFIER_PORT", 8001, minimum=0),
            ping_interval=_float(env, "NOTIFIER_PING_INTERVAL_SECONDS", 20.0),
            session_buffer=_int(env, "NOTIFIER_SESSION_BUFFER", 1024, minimum=1),
            window=_int(env, "NOTIFIER_WINDOW", 10_000, minimum=1),
            close_timeout=_float(env, "NOTIFIER_CLOSE_TIMEOUT_SECONDS", 5.0),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            jwt=jwt_from_env(env),
            http=_http(env),
            otel_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        )


def nats_from_env(env: Mapping[str, str]) -> NatsSettings:
    try:
        return NatsSettings.from_env(env)
    except NatsSettingsError as exc:
        raise SettingsError(str(exc)) from None


def _http(env: Mapping[str, str]) -> HttpLimits:
    try:
        return http_limits_from_env(env)
    except HttpLimitsError as exc:
        raise SettingsError(str(exc)) from None


def jwt_from_env(env: Mapping[str, str]) -> JwtSettings:
    try:
        return jwt_settings_from_env(env)
    except JwtSettingsError as exc:
        raise SettingsError(str(exc)) from None


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    try:
        value = default if raw in (None, "") else int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    try:
        value = default if raw in (None, "") else float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value
