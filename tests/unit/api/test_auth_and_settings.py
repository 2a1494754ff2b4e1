"""Token verification and settings; keys are generated in memory, no I/O."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tenant_api.auth import TokenVerifier, Unauthorized, issue_dev_token
from tenant_api.limits import Limits
from tenant_api.settings import JwtSettings, Settings, SettingsError, jwt_from_env
from tenant_contracts.access import Principal
from tenant_tokens.verify import TokenVerifier as SharedVerifier
from tenantctl.tokens import mint_token

SECRET = "unit-test-secret-that-is-long-enough!"


def _claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "alice", "aud": "tenant-platform", "exp": int(time.time()) + 60,
            "roles": ["admin"], **extra}


def _pem(private_key: Any) -> str:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


async def test_hs256_token_becomes_a_principal() -> None:
    verifier = TokenVerifier(jwt_from_env({"JWT_SECRET": SECRET}))
    principal = await verifier.principal("Bearer " + jwt.encode(_claims(), SECRET, "HS256"))
    assert (principal.sub, principal.roles, principal.is_admin) == ("alice", ("admin",), True)


@pytest.mark.parametrize(("key", "algorithm"), [
    (ec.generate_private_key(ec.SECP256R1()), "ES256"),
    (ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
])
async def test_public_key_algorithms(key: Any, algorithm: str) -> None:
    settings = jwt_from_env({"JWT_PUBLIC_KEY": _pem(key)})
    verifier = TokenVerifier(settings)
    assert (await verifier.verify(jwt.encode(_claims(), key, algorithm))).sub == "alice"
    # An HS256 token "signed" with the public key must not pass (key confusion).
    with pytest.raises(Unauthorized):
        await verifier.verify(jwt.encode(_claims(), SECRET, "HS256"))


async def test_issuer_is_checked_when_configured() -> None:
    verifier = TokenVerifier(jwt_from_env({"JWT_SECRET": SECRET, "JWT_ISSUER": "https://idp"}))
    assert (await verifier.verify(jwt.encode(_claims(iss="https://idp"), SECRET, "HS256")))
    for claims in (_claims(), _claims(iss="https://evil")):
        with pytest.raises(Unauthorized):
            await verifier.verify(jwt.encode(claims, SECRET, "HS256"))


async def test_control_characters_in_sub_are_refused() -> None:
    verifier = TokenVerifier(jwt_from_env({"JWT_SECRET": SECRET}))
    with pytest.raises(Unauthorized):
        await verifier.verify(jwt.encode(_claims(sub="a\x00b"), SECRET, "HS256"))


async def test_a_verified_token_is_remembered_and_a_refused_one_is_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    verifications: list[str | None] = []
    verify = SharedVerifier.verify

    async def counted(self: SharedVerifier, token: str | None) -> Principal:
        verifications.append(token)
        return await verify(self, token)

    monkeypatch.setattr(SharedVerifier, "verify", counted)
    verifier = TokenVerifier(jwt_from_env({"JWT_SECRET": SECRET}))
    token = jwt.encode(_claims(), SECRET, "HS256")
    for _ in range(3):  # a browser's requests, each with the same token
        assert (await verifier.principal(f"Bearer {token}")).sub == "alice"
    assert verifications == [token]
    forged = jwt.encode(_claims(), "another-secret-that-is-long-enough!!", "HS256")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await verifier.verify(forged)
    assert verifications == [token, forged, forged]


async def test_dev_tokens_verify() -> None:
    settings = jwt_from_env({"JWT_SECRET": SECRET, "JWT_AUDIENCE": "mine"})
    principal = await TokenVerifier(settings).verify(issue_dev_token(settings, "bob", ["x"]))
    assert (principal.sub, principal.roles) == ("bob", ("x",))
    assert principal.expires_at is not None and principal.expires_at > time.time() + 3500


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET,
                                  "API_PORT": "9000", "DEV_TOKENS": "1"})
    assert (settings.api_port, settings.dev_tokens, settings.jwt.algorithms) == (
        9000, True, ("HS256",))
    assert settings.jwt == JwtSettings(secret=SECRET, algorithms=("HS256",))
    assert settings.limits == Limits(quota_per_user=10, creates_per_minute=30)


def test_limits_come_from_the_environment() -> None:
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET, "TENANT_QUOTA_PER_USER": "4",
        "TENANT_QUOTA_PER_PLAN": "pro=20, enterprise=100", "RATE_LIMIT_CREATES_PER_MINUTE": "7"})
    assert settings.limits == Limits(quota_per_user=4, creates_per_minute=7,
                                     quota_per_plan={"pro": 20, "enterprise": 100})
    assert (settings.limits.quota_for("pro"), settings.limits.quota_for("free")) == (20, 4)


@pytest.mark.parametrize("env", [
    {"JWT_SECRET": SECRET},  # no DATABASE_URL
    {"DATABASE_URL": "postgresql://x/y"},  # no key at all
    {"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET, "JWT_ALGORITHMS": "none"},
    {"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET, "JWT_ALGORITHMS": "RS256"},
    {"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET, "API_PORT": "eighty"},
    {"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET, "TENANT_QUOTA_PER_USER": "0"},
    {"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET,
     "RATE_LIMIT_CREATES_PER_MINUTE": "many"},
    {"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET, "TENANT_QUOTA_PER_PLAN": "pro"},
    {"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": SECRET, "TENANT_QUOTA_PER_PLAN": "=3"},
])
def test_bad_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


async def test_the_email_claim_reaches_the_principal_when_it_is_an_address() -> None:
    verifier = TokenVerifier(jwt_from_env({"JWT_SECRET": SECRET}))
    with_email = await verifier.verify(mint_token(SECRET, "ann", email="ann@example.com"))
    assert with_email.email == "ann@example.com"
    assert (await verifier.verify(mint_token(SECRET, "ann"))).email is None
    odd = await verifier.verify(mint_token(SECRET, "ann", email="ann@x\r\nBcc: y@z"))
    assert odd.email is None  # could not be written into a mail header safely
