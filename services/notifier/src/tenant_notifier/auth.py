"""JWT verification (SPEC section 5) into the shared Principal."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
from jwt.types import Options

from tenant_contracts.access import Principal
from tenant_contracts.jwt_settings import numeric_date_problem
from tenant_notifier.settings import JwtSettings

# What hostile token bytes make PyJWT's JSON parsing raise besides PyJWTError: deep
# nesting (RecursionError), int(Infinity) (OverflowError), odd types (TypeError).
_MALFORMED = (jwt.PyJWTError, ValueError, ArithmeticError, RecursionError, TypeError)


class InvalidToken(Exception):
    """str(exc) is safe to show the client as the 4401 close reason."""


class TokenVerifier:
    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings
        self._algorithms = list(settings.algorithms)
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        required = ["sub", "exp", "aud"] + (["iss"] if settings.issuer else [])
        self._options: Options = {"require": required}

    async def verify(self, token: str | None) -> Principal:
        if not token:
            raise InvalidToken("token missing")
        if len(token) > self._settings.max_token_bytes:
            raise InvalidToken(f"token longer than {self._settings.max_token_bytes} bytes")
        try:
            key = await self._key_for(token)
            claims = jwt.decode(
                token, key, algorithms=self._algorithms, audience=self._settings.audience,
                issuer=self._settings.issuer, options=self._options,
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except _MALFORMED as exc:
            raise InvalidToken(f"invalid token: {type(exc).__name__}") from None
        problem = numeric_date_problem(claims)
        if problem is not None:
            raise InvalidToken(f"invalid token: {problem}")
        sub, roles = claims.get("sub"), claims.get("roles", [])
        if not isinstance(sub, str) or not sub:
            raise InvalidToken("invalid token: sub must be a non-empty string")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise InvalidToken("invalid token: roles must be a list of strings")
        return Principal(sub=sub, roles=tuple(roles), expires_at=int(claims["exp"]))

    async def _key_for(self, token: str) -> Any:
        algorithm = jwt.get_unverified_header(token).get("alg", "")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            # Not echoed: the reason must fit a close frame, and the value is the client's.
            raise InvalidToken("invalid token: its algorithm is not accepted")
        if algorithm.startswith("HS"):
            return self._settings.secret
        # The same precedence as the api (tenant_contracts.jwt_settings): the key, then JWKS.
        if self._settings.public_key is not None:
            return self._settings.public_key
        if self._jwks is None:
            raise InvalidToken("invalid token: no key for its algorithm")
        # PyJWKClient fetches over blocking HTTP on a cache miss: keep it off the loop.
        signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        return signing_key.key
