"""The api's settings, read from the environment when the app is built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tenant_api.limits import Limits
from tenant_contracts.http_limits import HttpLimits, HttpLimitsError, http_limits_from_env
from tenant_contracts.jwt_settings import (
    HMAC_ALGORITHMS,
    JwtSettings,
    JwtSettingsError,
    jwt_settings_from_env,
)
from tenant_stream.connection import NatsSettings, NatsSettingsError

__all__ = ["HMAC_ALGORITHMS", "JwtSettings", "Settings", "SettingsError", "jwt_from_env"]


class SettingsError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str
    jwt: JwtSettings
    nats: NatsSettings = field(default_factory=NatsSettings)
    stream_replicas: int = 1
    api_host: str = "0.0.0.0"
    api_port: int = 8000
    notifier_public_url: str | None = None
    dev_tokens: bool = False
    log_level: str = "INFO"
    otel_endpoint: str | None = None
    max_body_bytes: int = 64 * 1024
    # How long an append may take (retries through a stream leader election included)
    # before the client is told 503 with an unknown outcome.
    append_deadline: float = 10.0
    # A create still unsettled this long after it began is sent again by the sweeper.
    pending_create_age: float = 30.0
    # Header size and read timeout, keep-alive idle timeout (HTTP_* variables, as the notifier).
    http: HttpLimits = field(default_factory=HttpLimits)
    limits: Limits = field(default_factory=Limits)
    # The provisioner's durable consumer, whose info the operations view shows.
    provisioner_consumer: str = "provisioner"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        database_url = env.get("DATABASE_URL")
        if not database_url:
            raise SettingsError("DATABASE_URL is required (the read model's database)")
        return cls(
            database_url=database_url,
            jwt=jwt_from_env(env),
            nats=nats_from_env(env),
            stream_replicas=_int(env, "STREAM_REPLICAS", 1),
            api_host=env.get("API_HOST") or "0.0.0.0",
            api_port=_int(env, "API_PORT", 8000),
            notifier_public_url=env.get("NOTIFIER_PUBLIC_URL") or None,
            dev_tokens=env.get("DEV_TOKENS", "").lower() in ("1", "true", "yes"),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            otel_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
            max_body_bytes=_int(env, "API_MAX_BODY_BYTES", 64 * 1024),
            append_deadline=float(_int(env, "API_APPEND_DEADLINE_SECONDS", 10)),
            pending_create_age=float(_int(env, "API_PENDING_CREATE_AGE_SECONDS", 30)),
            http=_http(env),
            limits=limits_from_env(env),
            provisioner_consumer=env.get("PROVISIONER_CONSUMER") or "provisioner",
        )


def limits_from_env(env: Mapping[str, str]) -> Limits:
    return Limits(quota_per_user=_positive(env, "TENANT_QUOTA_PER_USER", 10),
                  quota_per_plan=_plan_quotas(env.get("TENANT_QUOTA_PER_PLAN", "")),
                  creates_per_minute=_positive(env, "RATE_LIMIT_CREATES_PER_MINUTE", 30))


def _plan_quotas(raw: str) -> dict[str, int]:
    quotas: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        plan, _, number = item.partition("=")
        quotas[plan.strip()] = _positive({"TENANT_QUOTA_PER_PLAN": number.strip()},
                                         "TENANT_QUOTA_PER_PLAN", 0)
        if not plan.strip():
            raise SettingsError(f"TENANT_QUOTA_PER_PLAN wants plan=number, got {item!r}")
    return quotas


def jwt_from_env(env: Mapping[str, str]) -> JwtSettings:
    try:
        return jwt_settings_from_env(env)
    except JwtSettingsError as exc:
        raise SettingsError(str(exc)) from None


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
def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be a positive integer, got {env.get(name)!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
