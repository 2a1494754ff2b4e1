"""Verified tokens are remembered until they expire (tenant_tokens.cache), never longer,
and refusals are never remembered."""

from __future__ import annotations

import time

import jwt
import pytest

from tenant_contracts.access import Principal
from tenant_contracts.jwt_settings import JwtSettings
from tenant_tokens.cache import MAX_AGE, VerifiedTokens
from tenant_tokens.verify import InvalidToken, TokenVerifier
from tests.conftest import wait_until

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
SETTINGS = JwtSettings(secret=SECRET, algorithms=("HS256",))


class CountingVerifier(TokenVerifier):
    def __init__(self) -> None:
        super().__init__(SETTINGS)
        self.calls = 0

    async def verify(self, token: str | None) -> Principal:
        self.calls += 1
        return await super().verify(token)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _token(exp: float, sub: str = "alice") -> str:
    return jwt.encode({"sub": sub, "aud": "tenant-platform", "exp": int(exp)}, SECRET,
                      algorithm="HS256")


async def test_a_token_verified_once_is_served_until_it_expires() -> None:
    inner, clock = CountingVerifier(), Clock()
    tokens = VerifiedTokens(inner, clock=clock)
    token = _token(clock.now + 60)
    first = await tokens.verify(token)
    assert await tokens.verify(token) == first and inner.calls == 1
    clock.now += 59
    assert await tokens.verify(token) == first and inner.calls == 1


async def test_an_entry_ends_at_the_tokens_exp() -> None:
    inner, clock = CountingVerifier(), Clock()
    tokens = VerifiedTokens(inner, clock=clock)
    exp = int(clock.now) + 2
    token = _token(exp)
    await tokens.verify(token)
    clock.now = exp  # PyJWT accepts a token while now < exp: the entry is over
    await tokens.verify(token)  # (the real clock is not there yet: the verifier accepts)
    assert inner.calls == 2


async def test_an_expired_token_is_refused_like_the_verifier_refuses_it() -> None:
    inner, clock = CountingVerifier(), Clock()
    tokens = VerifiedTokens(inner, clock=clock)
    token = _token(time.time() + 1)
    await tokens.verify(token)
    clock.now += 5
    past_exp = int(time.time()) + 1
    await wait_until(lambda: time.time() > past_exp, timeout=5)
    with pytest.raises(InvalidToken, match="expired"):
        await tokens.verify(token)


async def test_no_entry_outlives_max_age_even_if_the_token_does() -> None:
    inner, clock = CountingVerifier(), Clock()
    tokens = VerifiedTokens(inner, clock=clock)
    token = _token(clock.now + 10 * MAX_AGE)
    await tokens.verify(token)
    clock.now += MAX_AGE
    await tokens.verify(token)
    assert inner.calls == 2


@pytest.mark.parametrize("bad", [None, "", "garbage",
                                 jwt.encode({"sub": "a", "aud": "tenant-platform",
                                             "exp": int(time.time()) + 60},
                                            "another-secret-that-is-long-enough!!",
                                            algorithm="HS256")])
async def test_refusals_are_never_remembered(bad: str | None) -> None:
    inner = CountingVerifier()
    tokens = VerifiedTokens(inner)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await tokens.verify(bad)
    assert inner.calls == 2 and len(tokens) == 0


async def test_entries_are_bounded() -> None:
    inner, clock = CountingVerifier(), Clock()
    tokens = VerifiedTokens(inner, clock=clock, max_entries=4)
    for i in range(10):
        await tokens.verify(_token(clock.now + 60, sub=f"user-{i}"))
        assert len(tokens) <= 4
    newest = _token(clock.now + 60, sub="user-9")
    calls = inner.calls
    await tokens.verify(newest)
    assert inner.calls == calls  # the newest entries are the ones kept
