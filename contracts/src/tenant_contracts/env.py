"""Reading settings from the environment, the same way in every service.

One error type (`SettingsError`: its message names the variable and what it wants),
which every service's main() turns into one log line and exit code 2; one reading of
each kind of value (an empty variable means "unset", numbers are ASCII only)."""

from __future__ import annotations

from collections.abc import Mapping


class SettingsError(ValueError):
    """A setting in the environment cannot be used; the message names it."""


def read_str(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name) or default


def read_optional(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name) or None


def read_flag(env: Mapping[str, str], name: str) -> bool:
    return (env.get(name) or "").strip().lower() in ("1", "true", "yes", "on")


def read_int(env: Mapping[str, str], name: str, default: int, *,
             minimum: int | None = None) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.lstrip("-").isdigit()):
        raise SettingsError(f"{name} must be an integer, got {raw!r}")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def read_float(env: Mapping[str, str], name: str, default: float, *,
               minimum: float | None = None, positive: bool = False) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    return _number(name, raw, minimum=minimum, positive=positive)


def read_floats(env: Mapping[str, str], name: str, default: tuple[float, ...], *,
                positive: bool = True) -> tuple[float, ...]:
    """A comma-separated list, e.g. backoff seconds `1,5,30`."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    return tuple(_number(name, part.strip(), positive=positive)
                 for part in raw.split(",") if part.strip())


def read_log_level(env: Mapping[str, str]) -> str:
    level = (env.get("LOG_LEVEL") or "INFO").strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                            f"got {env.get('LOG_LEVEL')!r}")
    return level


def _number(name: str, raw: str, *, minimum: float | None = None,
            positive: bool = False) -> float:
    try:
        if not raw.isascii():
            raise ValueError(raw)
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(f"{name} must be a finite number, got {raw!r}")
    if positive and value <= 0:
        raise SettingsError(f"{name} must be positive, got {raw!r}")
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {raw!r}")
    return value
