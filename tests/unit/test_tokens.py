"""The api and the notifier accept exactly the same tokens (SPEC section 5): both go
through tenant_tokens; before, the notifier accepted a `sub` the api refused."""

from __future__ import annotations

import time

import jwt
import pytest

from tenant_api.auth import TokenVerifier as ApiVerifier
from tenant_api.auth import Unauthorized
from tenant_contracts.jwt_settings import JwtSettings
from tenant_notifier.auth import InvalidToken
from tenant_notifier.auth import TokenVerifier as NotifierVerifier
from tenant_tokens.mint import mint

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
SETTINGS = JwtSettings(secret=SECRET, algorithms=("HS256",))


def _signed(**claims: object) -> str:
    now = int(time.time())
    base: dict[str, object] = {"sub": "alice", "aud": "tenant-platform", "exp": now + 60,
                               "iat": now}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


TOKENS = {
    "minted": mint(SECRET, "alice", ["admin"], email="alice@example.test"),
    "non-printable sub": _signed(sub="al\x07ice"),
    "string exp": _signed(exp=str(int(time.time()) + 60)),
    "roles not a list": _signed(roles="admin"),
    "expired": _signed(exp=int(time.time()) - 5),
    "wrong audience": _signed(aud="someone-else"),
    "garbage": "not.a.token",
}


async def _accepts_api(token: str) -> bool:
    try:
        await ApiVerifier(SETTINGS).verify(token)
        return True
    except Unauthorized:
        return False


async def _accepts_notifier(token: str) -> bool:
    try:
        await NotifierVerifier(SETTINGS).verify(token)
        return True
    except InvalidToken:
        return False


@pytest.mark.parametrize("name", sorted(TOKENS))
async def test_both_services_decide_alike(name: str) -> None:
    token = TOKENS[name]
    assert await _accepts_api(token) == await _accepts_notifier(token) == (name == "minted")
