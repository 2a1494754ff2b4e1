"""Settings from the environment, read once when the service starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tenant_provisioner.decision import Policy
from tenant_stream.connection import NatsSettings, NatsSettingsError


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str
    stream_replicas: int
    backoff: tuple[float, ...]
    stage_delay: float
    log_level: str
    consumer: str
    ack_wait: float
    concurrency: int
    max_deliver: int
    grace: float
    otel_endpoint: str | None = None  # OTLP/HTTP base URL; no spans exported when unset
    nats: NatsSettings = field(default_factory=NatsSettings)
    host: str = "0.0.0.0"
    port: int = 8002  # /healthz, /readyz, /metrics

    @property
    def policy(self) -> Policy:
        return Policy(backoff=self.backoff)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        database_url = env.get("PROVISIONER_DATABASE_URL", "")
        if not database_url:
            raise SettingsError("PROVISIONER_DATABASE_URL is required "
                                "(a role that may create databases and roles)")
        backoff = _floats("PROVISIONER_BACKOFF_SECONDS", env.get(
            "PROVISIONER_BACKOFF_SECONDS", "1,5,30,120,600"))
        attempts = len(backoff) + 1
        try:
            nats = NatsSettings.from_env(env)
        except NatsSettingsError as exc:
            raise SettingsError(str(exc)) from None
        return cls(
            nats=nats,
            host=env.get("PROVISIONER_HOST") or "0.0.0.0",
            port=int(_number(env, "PROVISIONER_PORT", "8002", minimum=0)),
            database_url=database_url,
            stream_replicas=int(_number(env, "STREAM_REPLICAS", "1", minimum=1)),
            backoff=backoff,
            stage_delay=_number(env, "PROVISIONER_STAGE_DELAY_SECONDS", "0", minimum=0),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            consumer=env.get("PROVISIONER_CONSUMER", "provisioner"),
            ack_wait=_number(env, "PROVISIONER_ACK_WAIT_SECONDS", "30", minimum=0.5),
            concurrency=int(_number(env, "PROVISIONER_CONCURRENCY", "4", minimum=1)),
            # Deliveries beyond the attempts: interrupted attempts and waits behind an
            # older request of the same tenant also count as deliveries.
            max_deliver=int(_number(env, "PROVISIONER_MAX_DELIVER", str(2 * attempts + 3),
                                    minimum=1)),
            grace=_number(env, "PROVISIONER_GRACE_SECONDS", "10", minimum=0),
            otel_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        )


def _number(env: Mapping[str, str], name: str, default: str, minimum: float) -> float:
    text = env.get(name, default)
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {text!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {text!r}")
    return value


def _floats(name: str, text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated seconds, not {text!r}") from None
    if any(v <= 0 for v in values):
        raise SettingsError(f"{name} values must be positive, not {text!r}")
    return values
