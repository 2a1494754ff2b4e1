"""The identity provider of the real-node suite: the JWKS of a key the test signs
tokens with, served inside the testbed's network namespace on the node's address,
where the overlay's JWT_JWKS_URL points the api and the notifier (difference 6)."""

from __future__ import annotations

import json
import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm

from tests.e2e.kubernetes.testbed import KubeTestbed

PORT = 8089  # the overlay's JWT_JWKS_URL: http://10.87.0.1:8089/jwks.json
KID = "testbed"
AUDIENCE = "tenant-platform"  # deploy/k8s/config.env's JWT_AUDIENCE


def serve_jwks(kube: KubeTestbed, key: RSAPrivateKey) -> None:
    """A static file is all a JWKS is: Python's own http.server, one of the testbed's
    processes, so it stops with them."""
    directory = kube.workdir / "jwks"
    directory.mkdir()
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {"kid": KID, "use": "sig"}
    (directory / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    process = kube._spawn("jwks", [sys.executable, "-m", "http.server", "--bind", "0.0.0.0",
                                   "--directory", str(directory), str(PORT)])
    kube._wait_port(process, PORT)


def token(key: RSAPrivateKey, sub: str, *roles: str, ttl_seconds: int = 600) -> str:
    now = int(time.time())
    claims = {"sub": sub, "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds,
              "roles": list(roles)}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})
