"""JWT verification for the socket: the shared verifier (tenant_tokens), so the api and
the notifier accept exactly the same tokens; an InvalidToken closes with 4401. The
notifier remembers tokens it verified until they expire (tenant_tokens.cache)."""

from __future__ import annotations

from tenant_tokens.cache import VerifiedTokens
from tenant_tokens.verify import InvalidToken, TokenVerifier

__all__ = ["InvalidToken", "TokenVerifier", "VerifiedTokens"]
