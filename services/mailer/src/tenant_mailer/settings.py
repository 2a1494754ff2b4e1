"""The mailer's settings, read from the environment once at start (one error path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from tenant_contracts.env import (
    SettingsError,
    read_float,
    read_floats,
    read_int,
    read_log_level,
    read_str,
)
from tenant_stream.connection import NatsSettings

__all__ = ["Settings", "SettingsError", "SmtpSettings", "parse_smtp_url"]


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False  # smtp://...?starttls=true: upgrade before anything is sent
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # ?ca_file=/path: trust this CA (a private relay's)
    timeout: float = 20.0

    def __repr__(self) -> str:  # never log the password
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        return f"SmtpSettings({scheme}://{user}{self.host}:{self.port}, " \
               f"starttls={self.starttls})"


@dataclass(frozen=True, kw_only=True)
class Settings:
    nats: NatsSettings
    smtp: SmtpSettings | None  # None: email is off (SMTP_URL unset)
    mail_from: str = "Tenant platform <noreply@tenant-platform.invalid>"
    consumer: str = "mailer"
    ack_wait: float = 60.0
    presence_wait: float = 0.5  # how long a notifier may take to say "watching"
    backoff: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
    concurrency: int = 8
    log_level: str = "INFO"
    host: str = "0.0.0.0"  # /healthz, /readyz and /metrics
    port: int = 8003

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            nats=NatsSettings.from_env(env),
            smtp=parse_smtp_url(env["SMTP_URL"]) if env.get("SMTP_URL") else None,
            mail_from=env.get("MAIL_FROM") or cls.mail_from,
            consumer=env.get("MAILER_CONSUMER") or cls.consumer,
            ack_wait=read_float(env, "MAILER_ACK_WAIT_SECONDS", cls.ack_wait, positive=True),
            presence_wait=read_float(env, "MAILER_PRESENCE_WAIT_SECONDS", cls.presence_wait,
                                     positive=True),
            backoff=read_floats(env, "MAILER_BACKOFF_SECONDS", cls.backoff),
            concurrency=read_int(env, "MAILER_CONCURRENCY", cls.concurrency, minimum=1),
            log_level=read_log_level(env),
            host=read_str(env, "MAILER_HOST", cls.host),
            port=read_int(env, "MAILER_PORT", cls.port, minimum=0),
        )


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://[user:password@]host[:port][?starttls=true][&ca_file=...] or smtps://..."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError("SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "false").lower() in ("1", "true", "yes")
    if parts.scheme == "smtps" and starttls:
        raise SettingsError("SMTP_URL: smtps:// is TLS already; starttls is for smtp://")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise SettingsError("SMTP_URL has an invalid port") from None
    if (parts.username is None) != (parts.password is None):
        raise SettingsError("SMTP_URL: give both user and password, or neither")
    return SmtpSettings(
        host=parts.hostname, port=port, implicit_tls=parts.scheme == "smtps",
        starttls=starttls,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        ca_file=query.get("ca_file") or None,
        timeout=read_float(query, "timeout", 20.0, positive=True))
