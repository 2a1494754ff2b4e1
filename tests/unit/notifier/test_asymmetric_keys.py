"""RS256/ES256/EdDSA tokens with JWT_PUBLIC_KEY; HS256 refused when only that is set."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tenant_notifier.auth import InvalidToken, TokenVerifier
from tenant_notifier.settings import Settings

CLAIMS = {"sub": "alice", "aud": "tenant-platform", "roles": []}


def _pem(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
         | ed25519.Ed25519PrivateKey) -> str:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize(("algorithm", "private_key"), [
    ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ("ES256", ec.generate_private_key(ec.SECP256R1())),
    ("EdDSA", ed25519.Ed25519PrivateKey.generate()),
])
async def test_public_key_tokens(algorithm: str, private_key: object) -> None:
    public_pem = _pem(private_key)  # type: ignore[arg-type]
    settings = Settings.from_env({"JWT_PUBLIC_KEY": public_pem.replace("\n", "\\n")})
    verifier = TokenVerifier(settings.jwt)
    good = jwt.encode({**CLAIMS, "exp": int(time.time()) + 60}, private_key,  # type: ignore[arg-type]
                      algorithm=algorithm)
    assert (await verifier.verify(good)).sub == "alice"
    # Only the asymmetric algorithms are configured: an HS256 token is refused outright.
    with pytest.raises(InvalidToken):
        await verifier.verify(jwt.encode({**CLAIMS, "exp": int(time.time()) + 60},
                                         "some-hs256-secret-long-enough-for-it", algorithm="HS256"))
