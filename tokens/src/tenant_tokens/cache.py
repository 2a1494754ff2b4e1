"""Verified tokens remembered until they expire, for sockets opened in bursts.

Every tab of a browser presents the same token, and a replica's restart sends all
its clients to the others at once: verifying a token again gives the same answer
until its exp (PyJWT accepts it while now < exp; nbf and iat only ever get further
behind), so a success is kept, keyed by the token's exact text, and served until
then. At most MAX_AGE after the verification, though: a key taken out of the JWKS
is honoured no longer than PyJWKClient's own cache of the key set would honour it.
Failures are never kept. Verifying was about a fifth of what opening a session cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import islice

from tenant_contracts.access import Principal
from tenant_tokens.verify import TokenVerifier

MAX_AGE = 300.0  # seconds; PyJWKClient's default lifespan of a fetched key set
MAX_ENTRIES = 4096  # a few hundred bytes each


class VerifiedTokens:
    def __init__(self, verifier: TokenVerifier, clock: Callable[[], float] = time.time,
                 max_entries: int = MAX_ENTRIES) -> None:
        self._verifier = verifier
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}  # token: (principal, until)

    def __len__(self) -> int:
        return len(self._entries)

    async def verify(self, token: str | None) -> Principal:
        if token:
            hit = self._entries.get(token)
            if hit is not None:
                if self._clock() < hit[1]:
                    return hit[0]
                del self._entries[token]  # expired, or verified too long ago: check again
        principal = await self._verifier.verify(token)  # raises InvalidToken
        assert token  # a missing token never verifies
        now = self._clock()
        until = now + MAX_AGE
        if principal.expires_at is not None:
            until = min(until, principal.expires_at)
        if len(self._entries) >= self._max_entries:
            self._evict(now)
        self._entries[token] = (principal, until)
        return principal

    def _evict(self, now: float) -> None:
        for token, (_, until) in list(self._entries.items()):
            if until <= now:
                del self._entries[token]
        if len(self._entries) >= self._max_entries:  # all still valid: the oldest half goes
            for token in list(islice(self._entries, len(self._entries) // 2 or 1)):
                del self._entries[token]
