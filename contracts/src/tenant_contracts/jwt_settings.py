"""How a service reads SPEC section 5's JWT settings: one reading for the api and notifier.

Shared so that one environment authenticates a user on the socket exactly as on
the api; verifying stays in each service (PyJWT is an I/O-side dependency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_AUDIENCE = "tenant-platform"
HMAC_ALGORITHMS = ("HS256",)
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256", "EdDSA")


class JwtSettingsError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class JwtSettings:
    secret: str | None = None
    public_key: str | None = None  # when set, it is used; JWT_JWKS_URL only otherwise
    jwks_url: str | None = None
    audience: str = DEFAULT_AUDIENCE
    issuer: str | None = None
    algorithms: tuple[str, ...] = ()


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
    )
