from __future__ import annotations

import subprocess
import sys
import time

import jwt
import pytest

from tenantctl.tokens import mint_token, parse_ttl

SECRET = "a-secret-that-is-long-enough-for-hs256-use"


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600),
                                                ("7d", 604800), ("42", 42)])
def test_ttl_units(text: str, seconds: int) -> None:
    assert parse_ttl(text) == seconds


def test_minted_token_carries_the_required_claims() -> None:
    token = mint_token(SECRET, "alice", ["admin"], ttl_seconds=60, issuer="https://idp")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="tenant-platform",
                        issuer="https://idp")
    assert claims["sub"] == "alice" and claims["roles"] == ["admin"]
    assert 55 <= claims["exp"] - time.time() <= 60


def test_cli_prints_a_token_for_the_configured_secret() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tenantctl", "token", "--sub", "bob", "--ttl", "5m"],
        capture_output=True, text=True, env={"JWT_SECRET": SECRET, "PATH": ""}, check=True,
    )
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"],
                        audience="tenant-platform")
    assert claims["sub"] == "bob" and claims["roles"] == []
