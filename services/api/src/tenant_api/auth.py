"""Bearer JWT verification (SPEC section 5) turning a token into a Principal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import jwt

from tenant_api.settings import HMAC_ALGORITHMS, JwtSettings
from tenant_contracts.access import Principal
from tenant_contracts.jwt_settings import numeric_date_problem

DEV_TOKEN_TTL_SECONDS = 3600
# What hostile token bytes make PyJWT's JSON parsing raise besides PyJWTError: deep
# nesting (RecursionError), int(Infinity) (OverflowError), odd types (TypeError).
_MALFORMED = (jwt.PyJWTError, ValueError, ArithmeticError, RecursionError, TypeError)
_MAX_DETAIL = 200


class Unauthorized(Exception):
    """The request carries no valid token; always answered with 401."""


class TokenVerifier:
    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None

    async def principal(self, authorization: str | None) -> Principal:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token")
        return await self.verify(token.strip())

    async def verify(self, token: str) -> Principal:
        if len(token) > self._settings.max_token_bytes:
            raise Unauthorized(f"token longer than {self._settings.max_token_bytes} bytes")
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except _MALFORMED as exc:
            raise Unauthorized(_short(f"malformed token: {exc}")) from None
        # Only configured algorithms; this also rules out `none` and HS/RS key confusion.
        if not isinstance(algorithm, str) or algorithm not in self._settings.algorithms:
            raise Unauthorized(_short(f"algorithm {algorithm!r} is not accepted"))
        key = await self._key(token, algorithm)
        try:
            claims = jwt.decode(
                token, key, algorithms=[algorithm], audience=self._settings.audience,
                issuer=self._settings.issuer,
                options={"require": ["sub", "exp", "aud", *(["iss"] if self._settings.issuer
                                                           else [])]},
            )
        except _MALFORMED as exc:
            raise Unauthorized(_short(str(exc) or type(exc).__name__)) from None
        problem = numeric_date_problem(claims)
        if problem is not None:
            raise Unauthorized(problem)
        return _principal(claims)

    async def _key(self, token: str, algorithm: str) -> Any:
        if algorithm in HMAC_ALGORITHMS:
            return self._settings.secret
        if self._settings.public_key:
            return self._settings.public_key
        assert self._jwks is not None
        try:
            # PyJWKClient fetches over blocking HTTP (then caches): keep it off the loop.
            return (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"no signing key: {exc}") from None


def _short(detail: str) -> str:
    return detail if len(detail) <= _MAX_DETAIL else detail[:_MAX_DETAIL] + "…"


def _principal(claims: dict[str, Any]) -> Principal:
    sub = claims.get("sub")
    roles = claims.get("roles", [])
    if not isinstance(sub, str) or not sub or not sub.isprintable():
        raise Unauthorized("claim sub must be a non-empty printable string")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthorized("claim roles must be a list of strings")
    email = claims.get("email")
    if not (isinstance(email, str) and _looks_like_email(email)):
        email = None  # not an address we could write to: as if the token had none
    return Principal(sub=sub, roles=tuple(roles), expires_at=int(claims["exp"]), email=email)


def _looks_like_email(value: str) -> bool:
    # Mail headers are built from it: no control characters, one @ with text both sides.
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and value.isprintable() and " " not in value \
        and len(value) <= 254


def issue_dev_token(settings: JwtSettings, sub: str, roles: Sequence[str]) -> str:
    """A short-lived HS256 token for the SPA's local sign-in (DEV_TOKENS=1 only)."""
    if not settings.secret:
        raise RuntimeError("dev tokens need JWT_SECRET")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "roles": list(roles), "aud": settings.audience,
                              "iat": now, "exp": now + DEV_TOKEN_TTL_SECONDS}
    if settings.issuer:
        claims["iss"] = settings.issuer
    return jwt.encode(claims, settings.secret, algorithm="HS256")
