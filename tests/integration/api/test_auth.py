"""Every bad token is a 401 problem, before anything else is looked at."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import JWT_SECRET
from tests.integration.api.support import Api, auth, create_body


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "mallory", "aud": "tenant-platform", "iat": now, "exp": now + 600,
              "roles": ["admin"]}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _es256_token() -> str:
    return jwt.encode(_claims(), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")


BAD_TOKENS = {
    "alg none": lambda: jwt.encode(_claims(), None, algorithm="none"),
    "wrong audience": lambda: jwt.encode(_claims(aud="someone-else"), JWT_SECRET,
                                         algorithm="HS256"),
    "no audience": lambda: jwt.encode(_claims(aud=None), JWT_SECRET, algorithm="HS256"),
    "expired": lambda: jwt.encode(_claims(exp=int(time.time()) - 60), JWT_SECRET,
                                  algorithm="HS256"),
    "no exp": lambda: jwt.encode(_claims(exp=None), JWT_SECRET, algorithm="HS256"),
    "wrong key": lambda: jwt.encode(_claims(), "another-secret-that-is-long-enough!!",
                                    algorithm="HS256"),
    "algorithm not configured": _es256_token,
    "missing sub": lambda: jwt.encode(_claims(sub=None), JWT_SECRET, algorithm="HS256"),
    "empty sub": lambda: jwt.encode(_claims(sub=""), JWT_SECRET, algorithm="HS256"),
    "roles not a list": lambda: jwt.encode(_claims(roles="admin"), JWT_SECRET,
                                           algorithm="HS256"),
    "garbage": lambda: "not.a.jwt",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_token_is_401(api: Api, case: str) -> None:
    headers = {"Authorization": f"Bearer {BAD_TOKENS[case]()}"}
    for response in (
        await api.client.get("/api/v1/tenants", headers=headers),
        # An invalid body must not leak through as a 422 before authentication.
        await api.client.post("/api/v1/tenants", json={"slug": "!"}, headers=headers),
    ):
        assert response.status_code == 401, (case, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401


async def test_missing_or_non_bearer_authorization_is_401(api: Api) -> None:
    for headers in ({}, {"Authorization": "Basic YWxpY2U6c2VjcmV0"}, {"Authorization": "Bearer "}):
        response = await api.client.post("/api/v1/tenants", json=create_body(), headers=headers)
        assert response.status_code == 401, headers


async def test_a_valid_token_passes(api: Api) -> None:
    response = await api.client.get("/api/v1/tenants", headers=auth("alice"))
    assert response.status_code == 200
