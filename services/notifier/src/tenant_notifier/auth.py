"""JWT verification for the socket: the shared verifier (tenant_tokens), so the api and
the notifier accept exactly the same tokens; an InvalidToken closes with 4401."""

from __future__ import annotations

from tenant_tokens.verify import InvalidToken, TokenVerifier

__all__ = ["InvalidToken", "TokenVerifier"]
