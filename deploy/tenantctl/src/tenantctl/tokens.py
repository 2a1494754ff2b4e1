from __future__ import annotations

import time
from collections.abc import Sequence

import jwt

DEFAULT_AUDIENCE = "tenant-platform"


def parse_ttl(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def mint_token(
    secret: str,
    sub: str,
    roles: Sequence[str] = (),
    ttl_seconds: int = 3600,
    audience: str = DEFAULT_AUDIENCE,
    issuer: str | None = None,
    email: str | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {"sub": sub, "aud": audience, "iat": now,
                                 "exp": now + ttl_seconds, "roles": list(roles)}
    if issuer:
        claims["iss"] = issuer
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm="HS256")
