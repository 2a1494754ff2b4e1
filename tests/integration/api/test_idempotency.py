"""Idempotency-Key: same key and body -> same tenant, nothing appended; other body -> 422."""

from __future__ import annotations

import asyncio

from nats.aio.client import Client as NATS

from tenant_api import idempotency
from tenant_contracts.subjects import STREAM_NAME
from tests.integration.api.support import Api, auth, create_body, new_user


async def _head(nc: NATS) -> int:
    return int((await nc.jetstream().stream_info(STREAM_NAME)).state.last_seq)


async def test_same_key_and_body_returns_the_same_tenant_and_appends_nothing(
        api: Api, api_nc: NATS) -> None:
    user, body = new_user(), create_body()
    headers = auth(user) | {"Idempotency-Key": "k-1"}
    first = await api.client.post("/api/v1/tenants", json=body, headers=headers)
    assert first.status_code == 202
    head = await _head(api_nc)
    again = await api.client.post("/api/v1/tenants", json=body, headers=headers)
    assert again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    assert again.json()["status"] == "Pending"
    assert await _head(api_nc) == head


async def test_same_key_with_another_body_is_422(api: Api, api_nc: NATS) -> None:
    user = new_user()
    headers = auth(user) | {"Idempotency-Key": "k-2"}
    assert (await api.client.post("/api/v1/tenants", json=create_body(),
                                  headers=headers)).status_code == 202
    head = await _head(api_nc)
    other = await api.client.post("/api/v1/tenants", json=create_body(), headers=headers)
    assert other.status_code == 422, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    assert "Idempotency-Key" in other.json()["detail"]
    assert await _head(api_nc) == head


async def test_keys_belong_to_their_user(api: Api) -> None:
    key = {"Idempotency-Key": "shared-key"}
    mine = await api.client.post("/api/v1/tenants", json=create_body(),
                                 headers=auth(new_user()) | key)
    theirs = await api.client.post("/api/v1/tenants", json=create_body(),
                                   headers=auth(new_user()) | key)
    assert (mine.status_code, theirs.status_code) == (202, 202)
    assert mine.json()["id"] != theirs.json()["id"]


async def test_concurrent_requests_with_one_key_create_one_tenant(api: Api,
                                                                  api_nc: NATS) -> None:
    user, body = new_user(), create_body()
    headers = auth(user) | {"Idempotency-Key": "k-race"}
    head = await _head(api_nc)
    responses = await asyncio.gather(*(
        api.client.post("/api/v1/tenants", json=body, headers=headers) for _ in range(5)))
    assert [r.status_code for r in responses] == [202] * 5
    assert len({r.json()["id"] for r in responses}) == 1
    assert await _head(api_nc) == head + 1


async def test_a_key_expires_after_24_hours(api: Api) -> None:
    user = new_user()
    headers = auth(user) | {"Idempotency-Key": "k-old"}
    first = await api.client.post("/api/v1/tenants", json=create_body(), headers=headers)
    assert api.runtime.pool is not None
    await api.runtime.pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
        "WHERE owner = $1 AND key = 'k-old'", user)
    # Past its lifetime the key is free: another body is a new request, not a 422.
    second = await api.client.post("/api/v1/tenants", json=create_body(), headers=headers)
    assert second.status_code == 202, second.text
    assert second.json()["id"] != first.json()["id"]


async def test_expired_keys_are_purged_and_live_ones_kept(api: Api) -> None:
    user = new_user()
    for key in ("k-expired", "k-live"):
        response = await api.client.post("/api/v1/tenants", json=create_body(),
                                          headers=auth(user) | {"Idempotency-Key": key})
        assert response.status_code == 202
    pool = api.runtime.pool
    assert pool is not None
    await pool.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
                       "WHERE owner = $1 AND key = 'k-expired'", user)
    assert await idempotency.purge_expired(pool) >= 1
    kept = await pool.fetch("SELECT key FROM idempotency_keys WHERE owner = $1", user)
    assert [row["key"] for row in kept] == ["k-live"]
