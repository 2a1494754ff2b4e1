"""The one way this project makes a token: dev sign-in, `tenantctl token`, the tests."""

from __future__ import annotations

import time
from collections.abc import Sequence

import jwt

from tenant_contracts.jwt_settings import DEFAULT_AUDIENCE


def mint(secret: str, sub: str, roles: Sequence[str] = (), ttl_seconds: int = 3600,
         audience: str = DEFAULT_AUDIENCE, issuer: str | None = None,
         email: str | None = None) -> str:
    """An HS256 token with the claims SPEC section 5 requires."""
    now = int(time.time())
    claims: dict[str, object] = {"sub": sub, "aud": audience, "iat": now,
                                 "exp": now + ttl_seconds, "roles": list(roles)}
    if issuer:
        claims["iss"] = issuer
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm="HS256")
