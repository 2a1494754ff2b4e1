"""A notifier configured with JWT_JWKS_URL accepts RS256 tokens of that key only."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantctl.nats_auth import NatsCredentials
from tests.conftest import wait_until
from tests.integration.notifier.support import Appender, Client, NotifierProcess
from tests.jwks_server import jwks_server

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rs256(key: rsa.RSAPrivateKey, sub: str, kid: str = "k1") -> str:
    claims = {"sub": sub, "aud": "tenant-platform", "exp": int(time.time()) + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def jwks_notifier(nats_url: str, nats_credentials: NatsCredentials,
                  stream: str) -> Iterator[NotifierProcess]:
    with jwks_server(KEY) as url:
        process = NotifierProcess(nats_url, nats_credentials,
                                  env={"JWT_JWKS_URL": url}).start()
        yield process
        process.stop()


async def test_a_token_signed_by_the_jwks_key_gets_its_events(
    jwks_notifier: NotifierProcess, appender: Appender
) -> None:
    sub = f"jwks-{uuid.uuid4().hex[:6]}"
    async with Client(jwks_notifier.url(rs256(KEY, sub))) as client:
        await wait_until(lambda: client.frames)
        welcome = client.frames[0]
        assert (welcome["type"], welcome["user"]) == ("welcome", sub)
        _, seq = await appender.new_tenant(sub)
        await client.wait_seq(seq)


@pytest.mark.parametrize("kid", ["k1", "unknown"])
async def test_a_token_of_another_key_is_closed_4401(
    jwks_notifier: NotifierProcess, kid: str
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with Client(jwks_notifier.url(rs256(stranger, "mallory", kid))) as client:
        assert await client.wait_closed() == 4401
    assert client.frames == []
