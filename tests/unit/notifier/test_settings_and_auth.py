from __future__ import annotations

import time

import jwt
import pytest

from tenant_notifier.auth import InvalidToken, TokenVerifier
from tenant_notifier.settings import Settings, SettingsError

SECRET = "unit-test-secret-that-is-long-enough!"


def verifier(**env: str) -> TokenVerifier:
    return TokenVerifier(Settings.from_env({"JWT_SECRET": SECRET, **env}).jwt)


def token(claims: dict[str, object], key: str = SECRET, algorithm: str = "HS256") -> str:
    base: dict[str, object] = {"sub": "alice", "aud": "tenant-platform",
                               "exp": int(time.time()) + 60, "roles": ["admin"]}
    return jwt.encode({**base, **claims}, key, algorithm=algorithm)


def test_defaults() -> None:
    settings = Settings.from_env({"JWT_SECRET": SECRET})
    assert (settings.port, settings.ping_interval, settings.session_buffer) == (8001, 20.0, 1024)
    assert settings.jwt.algorithms == ("HS256",) and settings.jwt.audience == "tenant-platform"


@pytest.mark.parametrize("env", [
    {},
    {"JWT_SECRET": SECRET, "JWT_ALGORITHMS": "none"},
    {"JWT_SECRET": SECRET, "NOTIFIER_SESSION_BUFFER": "0"},
    {"JWT_SECRET": SECRET, "NOTIFIER_PING_INTERVAL_SECONDS": "soon"},
    {"JWT_PUBLIC_KEY": "pem", "JWT_ALGORITHMS": "HS256"},
])
def test_bad_settings_fail_at_start_with_a_clear_error(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


async def test_a_good_token_becomes_a_principal() -> None:
    principal = await verifier().verify(token({}))
    assert principal.sub == "alice" and principal.is_admin and principal.expires_at


@pytest.mark.parametrize("bad", [
    None, "", "garbage",
    token({}, key="another-secret-that-is-long-enough!!"),
    token({"exp": int(time.time()) - 1}),
    token({"aud": "someone-else"}),
    token({"roles": "admin"}),
    token({"sub": ""}),
    jwt.encode({"sub": "alice", "aud": "tenant-platform", "exp": int(time.time()) + 60},
               None, algorithm="none"),
])
async def test_bad_tokens_are_refused(bad: str | None) -> None:
    with pytest.raises(InvalidToken):
        await verifier().verify(bad)


async def test_issuer_is_required_when_configured() -> None:
    strict = verifier(JWT_ISSUER="https://issuer.test")
    with pytest.raises(InvalidToken):
        await strict.verify(token({}))
    assert (await strict.verify(token({"iss": "https://issuer.test"}))).sub == "alice"
