"""How long and how large an HTTP request may be: one reading for the api and notifier.

Shared so that both servers refuse the same slow or oversized clients the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tenant_contracts.env import SettingsError

# One line of the request head (the request line, or one header): the `websockets`
# library's fixed limit on the notifier, applied by the api too (414 / 431).
MAX_LINE_BYTES = 8192


class HttpLimitsError(SettingsError):
    pass


@dataclass(frozen=True, kw_only=True)
class HttpLimits:
    # The request line and every header together; past it: 431 (414 for the line alone).
    max_header_bytes: int = 16 * 1024
    # From the connection (or the end of the previous response) to the end of the
    # headers: a client trickling its headers is cut off after this.
    header_timeout: float = 10.0
    # From the end of the headers to the end of the body (api: the notifier takes no
    # body): a client trickling its body is cut off after this, as one trickling headers.
    body_timeout: float = 10.0
    # A keep-alive connection with no request in flight is closed after this.
    idle_timeout: float = 5.0


def http_limits_from_env(env: Mapping[str, str]) -> HttpLimits:
    return HttpLimits(
        max_header_bytes=int(_number(env, "HTTP_MAX_HEADER_BYTES", 16 * 1024,
                                     MAX_LINE_BYTES, 1 << 20)),
        header_timeout=_number(env, "HTTP_HEADER_TIMEOUT_SECONDS", 10.0, 0.1, 3600),
        body_timeout=_number(env, "HTTP_BODY_TIMEOUT_SECONDS", 10.0, 0.1, 3600),
        idle_timeout=_number(env, "HTTP_IDLE_TIMEOUT_SECONDS", 5.0, 0.1, 3600),
    )


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float
            ) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw) if raw.isascii() else float("nan")
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise HttpLimitsError(f"{name} must be a number in {low}..{high}, got {raw!r}")
    return value
