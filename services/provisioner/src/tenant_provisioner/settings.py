"""Settings from the environment, read once when the service starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tenant_contracts.env import (
    SettingsError,
    read_float,
    read_floats,
    read_int,
    read_log_level,
    read_optional,
    read_str,
)
from tenant_provisioner.decision import Policy
from tenant_stream.connection import NatsSettings

__all__ = ["Settings", "SettingsError"]


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
        backoff = read_floats(env, "PROVISIONER_BACKOFF_SECONDS", (1, 5, 30, 120, 600))
        attempts = len(backoff) + 1
        return cls(
            nats=NatsSettings.from_env(env),
            host=read_str(env, "PROVISIONER_HOST", "0.0.0.0"),
            port=read_int(env, "PROVISIONER_PORT", 8002, minimum=0),
            database_url=database_url,
            stream_replicas=read_int(env, "STREAM_REPLICAS", 1, minimum=1),
            backoff=backoff,
            stage_delay=read_float(env, "PROVISIONER_STAGE_DELAY_SECONDS", 0, minimum=0),
            log_level=read_log_level(env),
            consumer=read_str(env, "PROVISIONER_CONSUMER", "provisioner"),
            ack_wait=read_float(env, "PROVISIONER_ACK_WAIT_SECONDS", 30, minimum=0.5),
            concurrency=read_int(env, "PROVISIONER_CONCURRENCY", 4, minimum=1),
            # Deliveries beyond the attempts: interrupted attempts and waits behind an
            # older request of the same tenant also count as deliveries.
            max_deliver=read_int(env, "PROVISIONER_MAX_DELIVER", 2 * attempts + 3, minimum=1),
            grace=read_float(env, "PROVISIONER_GRACE_SECONDS", 10, minimum=0),
            otel_endpoint=read_optional(env, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        )
