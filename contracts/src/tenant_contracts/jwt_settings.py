"""How a service reads SPEC section 5's JWT settings: one reading for the api and notifier.

Shared so that one environment authenticates a user on the socket exactly as on
the api; verifying stays in each service (PyJWT is an I/O-side dependency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tenant_contracts.env import SettingsError

DEFAULT_AUDIENCE = "tenant-platform"
HMAC_ALGORITHMS = ("HS256",)
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256", "EdDSA")
# A real token is well under 1 KiB; a longer one is refused before any parsing (401/4401).
DEFAULT_MAX_TOKEN_BYTES = 4096
# RFC 7519 NumericDate, bounded to year 9999 so that no date arithmetic can overflow.
MAX_NUMERIC_DATE = 253_402_300_799
NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat")


class JwtSettingsError(SettingsError):
    pass


@dataclass(frozen=True, kw_only=True)
class JwtSettings:
    secret: str | None = None
    public_key: str | None = None  # when set, it is used; JWT_JWKS_URL only otherwise
    jwks_url: str | None = None
    audience: str = DEFAULT_AUDIENCE
    issuer: str | None = None
    algorithms: tuple[str, ...] = ()
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES


def jwt_settings_from_env(env: Mapping[str, str]) -> JwtSettings:
    secret = env.get("JWT_SECRET") or None
    # PEM keys in env files often carry literal "\n".
    public_key = (env.get("JWT_PUBLIC_KEY") or "").replace("\\n", "\n") or None
    jwks_url = env.get("JWT_JWKS_URL") or None
    if not (secret or public_key or jwks_url):
        raise JwtSettingsError("set JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL")
    possible = (HMAC_ALGORITHMS if secret else ()) + (
        ASYMMETRIC_ALGORITHMS if public_key or jwks_url else ())
    wanted = tuple(a.strip() for a in env.get("JWT_ALGORITHMS", "").split(",") if a.strip())
    # `none` is never possible: it would accept unsigned tokens.
    unusable = [a for a in wanted if a not in possible]
    if unusable:
        raise JwtSettingsError(f"JWT_ALGORITHMS {unusable} have no key configured")
    return JwtSettings(
        secret=secret, public_key=public_key, jwks_url=jwks_url,
        audience=env.get("JWT_AUDIENCE") or DEFAULT_AUDIENCE,
        issuer=env.get("JWT_ISSUER") or None, algorithms=wanted or possible,
        max_token_bytes=_max_token_bytes(env.get("JWT_MAX_TOKEN_BYTES")),
    )


def _max_token_bytes(raw: str | None) -> int:
    if not raw:
        return DEFAULT_MAX_TOKEN_BYTES
    if not (raw.isascii() and raw.isdigit()) or not 256 <= int(raw) <= 16384:
        raise JwtSettingsError(f"JWT_MAX_TOKEN_BYTES must be 256..16384, got {raw!r}")
    return int(raw)


def numeric_date_problem(claims: Mapping[str, object]) -> str | None:
    """Why a verified token's exp/nbf/iat are unacceptable, or None.

    PyJWT coerces with int(), so "9999999999" (a string) would pass; RFC 7519
    says NumericDate is a JSON number, and RFC 8725 asks verifiers to be strict.
    """
    for name in NUMERIC_DATE_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"claim {name} must be a number"
        if not 0 <= value <= MAX_NUMERIC_DATE:  # also false for NaN
            return f"claim {name} is out of range"
    return None
