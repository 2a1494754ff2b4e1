"""RS256 tokens verified with keys fetched from a JWKS URL (a real local HTTP server)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tenant_api.auth import TokenVerifier, Unauthorized
from tenant_api.settings import jwt_from_env

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key())) | {"kid": "k1", "use": "sig"}
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    thread.join()


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
