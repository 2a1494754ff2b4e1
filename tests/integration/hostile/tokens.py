"""Tokens as a hostile or careless issuer would make them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from tenant_contracts.jwt_settings import DEFAULT_AUDIENCE
from tests.e2e.harness import JWT_SECRET

HS256_HEADER = b'{"alg":"HS256","typ":"JWT"}'


def signed(**claims: Any) -> str:
    """HS256 with the platform's secret: valid unless the claims say otherwise.

    Signed by hand: PyJWT's encoder refuses some claims (a non-string iss) that a
    careless issuer would still send.
    """
    now = int(time.time())
    body = {"sub": "hostile", "aud": DEFAULT_AUDIENCE, "iat": now, "exp": now + 600} | claims
    payload = json.dumps({k: v for k, v in body.items() if v is not None},
                         ensure_ascii=False).encode("utf-8", "surrogatepass")
    signing_input = f"{_b64(HS256_HEADER)}.{_b64(payload)}"
    signature = hmac.new(JWT_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unsigned(header: bytes, payload: bytes, signature: bytes = b"sig") -> str:
    """Any bytes as header and payload: what get_unverified_header must survive."""
    return ".".join(_b64(part) for part in (header, payload, signature))


def deep_json(levels: int) -> bytes:
    return b'{"alg":"HS256","x":' + b"[" * levels + b"]" * levels + b"}"


def padded(size: int) -> str:
    """A validly signed token of about `size` characters."""
    return signed(pad="x" * max(0, size - 200))


def claims_json(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))  # type: ignore[no-any-return]
