"""RS256 tokens verified with keys fetched from a JWKS URL (a real local HTTP server)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tenant_api.auth import TokenVerifier, Unauthorized
from tenant_api.settings import jwt_from_env
from tests.jwks_server import jwks_server

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    with jwks_server(KEY) as url:
        yield url


async def test_tokens_signed_by_a_jwks_key_pass(jwks_url: str) -> None:
    verifier = TokenVerifier(jwt_from_env({"JWT_JWKS_URL": jwks_url}))
    claims = {"sub": "carol", "aud": "tenant-platform", "exp": int(time.time()) + 60}
    token = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})
    assert (await verifier.verify(token)).sub == "carol"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for forged in (jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "k1"}),
                   jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "nope"})):
        with pytest.raises(Unauthorized):
            await verifier.verify(forged)
