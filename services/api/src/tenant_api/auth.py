"""Bearer JWT on HTTP: the shared verifier (tenant_tokens), answered with 401.

Verified tokens are remembered until they expire, as the notifier remembers them
(tenant_tokens.cache): a browser sends the same token with every request, and
verifying it again was about an eighth of a create's CPU (profile in README,
"Benchmarks")."""

from __future__ import annotations

from collections.abc import Sequence

from tenant_api.settings import JwtSettings
from tenant_contracts.access import Principal
from tenant_tokens.cache import VerifiedTokens
from tenant_tokens.mint import mint
from tenant_tokens.verify import InvalidToken
from tenant_tokens.verify import TokenVerifier as SharedVerifier

DEV_TOKEN_TTL_SECONDS = 3600


class Unauthorized(Exception):
    """The request carries no valid token; always answered with 401."""


class TokenVerifier:
    def __init__(self, settings: JwtSettings) -> None:
        self._verifier = VerifiedTokens(SharedVerifier(settings))

    async def principal(self, authorization: str | None) -> Principal:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token")
        return await self.verify(token.strip())

    async def verify(self, token: str) -> Principal:
        try:
            return await self._verifier.verify(token)
        except InvalidToken as exc:
            raise Unauthorized(str(exc)) from None


def issue_dev_token(settings: JwtSettings, sub: str, roles: Sequence[str]) -> str:
    """A short-lived HS256 token for the SPA's local sign-in (DEV_TOKENS=1 only)."""
    if not settings.secret:
        raise RuntimeError("dev tokens need JWT_SECRET")
    return mint(settings.secret, sub, roles, DEV_TOKEN_TTL_SECONDS, settings.audience,
                settings.issuer)
