"""The api's settings, read from the environment when the app is built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tenant_api.limits import Limits
from tenant_contracts.env import (
    SettingsError,
    read_flag,
    read_float,
    read_int,
    read_log_level,
    read_optional,
    read_str,
)
from tenant_contracts.http_limits import HttpLimits, http_limits_from_env
from tenant_contracts.jwt_settings import HMAC_ALGORITHMS, JwtSettings, jwt_settings_from_env
from tenant_stream.connection import NatsSettings

__all__ = ["HMAC_ALGORITHMS", "JwtSettings", "Settings", "SettingsError", "jwt_from_env"]
# Every reader raises the one SettingsError (contracts.env): main() prints one line, exit 2.
jwt_from_env = jwt_settings_from_env


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
            jwt=jwt_settings_from_env(env),
            nats=NatsSettings.from_env(env),
            stream_replicas=read_int(env, "STREAM_REPLICAS", 1, minimum=1),
            api_host=read_str(env, "API_HOST", "0.0.0.0"),
            api_port=read_int(env, "API_PORT", 8000, minimum=0),
            notifier_public_url=read_optional(env, "NOTIFIER_PUBLIC_URL"),
            dev_tokens=read_flag(env, "DEV_TOKENS"),
            log_level=read_log_level(env),
            otel_endpoint=read_optional(env, "OTEL_EXPORTER_OTLP_ENDPOINT"),
            max_body_bytes=read_int(env, "API_MAX_BODY_BYTES", 64 * 1024, minimum=1),
            append_deadline=read_float(env, "API_APPEND_DEADLINE_SECONDS", 10.0, positive=True),
            pending_create_age=read_float(env, "API_PENDING_CREATE_AGE_SECONDS", 30.0,
                                          positive=True),
            http=http_limits_from_env(env),
            limits=limits_from_env(env),
            provisioner_consumer=read_str(env, "PROVISIONER_CONSUMER", "provisioner"),
        )


def limits_from_env(env: Mapping[str, str]) -> Limits:
    return Limits(quota_per_user=_positive(env, "TENANT_QUOTA_PER_USER", 10),
                  quota_per_plan=_plan_quotas(env.get("TENANT_QUOTA_PER_PLAN", "")),
                  creates_per_minute=_positive(env, "RATE_LIMIT_CREATES_PER_MINUTE", 30))


def _plan_quotas(raw: str) -> dict[str, int]:
    quotas: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        plan, _, number = item.partition("=")
        if not number.strip():
            raise SettingsError(f"TENANT_QUOTA_PER_PLAN wants plan=number, got {item!r}")
        quotas[plan.strip()] = _positive({"TENANT_QUOTA_PER_PLAN": number.strip()},
                                         "TENANT_QUOTA_PER_PLAN", 0)
        if not plan.strip():
            raise SettingsError(f"TENANT_QUOTA_PER_PLAN wants plan=number, got {item!r}")
    return quotas


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    return read_int(env, name, default, minimum=1)
