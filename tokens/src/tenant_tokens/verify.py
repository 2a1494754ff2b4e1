"""JWT verification (SPEC section 5) into the shared Principal, for both services.

Each service maps `InvalidToken` to its transport: a 401 problem on the api, close
4401 on the socket. `str(exc)` is short and safe to show the client."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
from jwt.types import Options

from tenant_contracts.access import Principal
from tenant_contracts.jwt_settings import HMAC_ALGORITHMS, JwtSettings, numeric_date_problem

# What hostile token bytes make PyJWT's JSON parsing raise besides PyJWTError: deep
# nesting (RecursionError), int(Infinity) (OverflowError), odd types (TypeError).
_MALFORMED = (jwt.PyJWTError, ValueError, ArithmeticError, RecursionError, TypeError)
MAX_REASON = 120  # fits a WebSocket close reason (123 bytes) and a problem's detail


class InvalidToken(Exception):
    """Missing, malformed, expired, or signed with what we do not accept."""


def _short(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 1] + "…"


class TokenVerifier:
    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        required = ["sub", "exp", "aud"] + (["iss"] if settings.issuer else [])
        self._options: Options = {"require": required}

    async def verify(self, token: str | None) -> Principal:
        if not token:
            raise InvalidToken("token missing")
        if len(token) > self._settings.max_token_bytes:
            raise InvalidToken(f"token longer than {self._settings.max_token_bytes} bytes")
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except _MALFORMED as exc:
            raise InvalidToken(_short(f"malformed token: {type(exc).__name__}")) from None
        # Only configured algorithms; this also rules out `none` and HS/RS key confusion.
        # Not echoed: the value is the client's.
        if not isinstance(algorithm, str) or algorithm not in self._settings.algorithms:
            raise InvalidToken("the token's algorithm is not accepted")
        key = await self._key(token, algorithm)
        try:
            claims = jwt.decode(token, key, algorithms=[algorithm],
                                audience=self._settings.audience,
                                issuer=self._settings.issuer, options=self._options)
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except _MALFORMED as exc:
            raise InvalidToken(_short(f"invalid token: {str(exc) or type(exc).__name__}")) \
                from None
        problem = numeric_date_problem(claims)
        if problem is not None:
            raise InvalidToken(_short(problem))
        return principal_of(claims)

    async def _key(self, token: str, algorithm: str) -> Any:
        if algorithm in HMAC_ALGORITHMS:
            return self._settings.secret
        # One precedence for both services (tenant_contracts.jwt_settings): the key, then JWKS.
        if self._settings.public_key:
            return self._settings.public_key
        if self._jwks is None:
            raise InvalidToken("no key for the token's algorithm")
        try:
            # PyJWKClient fetches over blocking HTTP (then caches): keep it off the loop.
            return (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
        except jwt.PyJWTError as exc:
            raise InvalidToken(_short(f"no signing key: {exc}")) from None


def principal_of(claims: dict[str, Any]) -> Principal:
    sub = claims.get("sub")
    roles = claims.get("roles", [])
    if not isinstance(sub, str) or not sub or not sub.isprintable():
        raise InvalidToken("claim sub must be a non-empty printable string")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidToken("claim roles must be a list of strings")
    email = claims.get("email")
    if not (isinstance(email, str) and looks_like_email(email)):
        email = None  # not an address we could write to: as if the token had none
    return Principal(sub=sub, roles=tuple(roles), expires_at=int(claims["exp"]), email=email)


def looks_like_email(value: str) -> bool:
    # Mail headers are built from it: no control characters, one @ with text both sides.
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and value.isprintable() and " " not in value \
        and len(value) <= 254
