"""Quota and create rate limit: exact under concurrency, shared by replicas, kind to replays."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx

from tenant_api.limits import Limits
from tenantctl.nats_server import NatsServer
from tenantctl.ports import free_port
from tenantctl.services import wait_http_ok
from tests.conftest import nats_url_as
from tests.integration.api.support import (
    Api,
    auth,
    create_body,
    new_user,
    running_api,
    settings,
)
from tests.integration.api.test_process import RunningApi, _env


async def _held(api: Api, user: str) -> int:
    assert api.runtime.pool is not None
    return int(await api.runtime.pool.fetchval(
        """SELECT count(*) FROM (SELECT id FROM tenants WHERE owner = $1
           UNION SELECT tenant_id FROM pending_creates WHERE owner = $1) AS t""", user))


async def test_quota_exact_under_twenty_concurrent_creates(api_nats: NatsServer,
                                                           api_database: str) -> None:
    config = settings(nats_url_as(api_nats, "api"), api_database, limits=Limits(quota_per_user=3))
    async with running_api(config) as api:
        user = new_user()
        responses = await asyncio.gather(*(
            api.client.post("/api/v1/tenants", json=create_body(), headers=auth(user))
            for _ in range(20)))
        codes = Counter(r.status_code for r in responses)
        assert codes == {202: 3, 403: 17}, codes
        refused = next(r for r in responses if r.status_code == 403)
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["type"] == "/problems/quota-exceeded"
        assert (problem["quota"], problem["held"]) == (3, 3)
        assert "3 of 3" in problem["detail"]
        assert await _held(api, user) == 3


async def test_admins_are_exempt_from_the_quota(api_nats: NatsServer, api_database: str) -> None:
    config = settings(nats_url_as(api_nats, "api"), api_database, limits=Limits(quota_per_user=1))
    async with running_api(config) as api:
        admin = f"admin-{uuid.uuid4().hex[:8]}"
        for _ in range(3):
            response = await api.client.post("/api/v1/tenants", json=create_body(),
                                             headers=auth(admin, "admin"))
            assert response.status_code == 202, response.text


async def test_a_plan_has_its_own_quota(api_nats: NatsServer, api_database: str) -> None:
    config = settings(nats_url_as(api_nats, "api"), api_database,
                      limits=Limits(quota_per_user=1, quota_per_plan={"pro": 2}))
    async with running_api(config) as api:
        user = new_user()
        codes = [(await api.client.post("/api/v1/tenants", json=create_body(plan=plan),
                                        headers=auth(user))).status_code
                 for plan in ("free", "free", "pro", "pro")]
        assert codes == [202, 403, 202, 403]


async def test_a_replay_is_not_refused_at_the_quota(api_nats: NatsServer,
                                                    api_database: str) -> None:
    config = settings(nats_url_as(api_nats, "api"), api_database,
                      limits=Limits(quota_per_user=1, creates_per_minute=1))
    async with running_api(config) as api:
        user = new_user()
        body = create_body()
        headers = auth(user) | {"Idempotency-Key": "only-once"}
        first = await api.client.post("/api/v1/tenants", json=body, headers=headers)
        again = await api.client.post("/api/v1/tenants", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (202, 202), again.text
        assert again.json()["id"] == first.json()["id"]
        other = await api.client.post("/api/v1/tenants", json=create_body(), headers=auth(user))
        assert other.status_code == 429  # the rate is checked first; the quota is full too


async def test_rate_limit_answers_429_with_retry_after(api_nats: NatsServer,
                                                       api_database: str) -> None:
    config = settings(nats_url_as(api_nats, "api"), api_database,
                      limits=Limits(quota_per_user=100, creates_per_minute=4))
    async with running_api(config) as api:
        user = new_user()
        responses = await asyncio.gather(*(
            api.client.post("/api/v1/tenants", json=create_body(), headers=auth(user))
            for _ in range(10)))
        assert Counter(r.status_code for r in responses) == {202: 4, 429: 6}
        limited = next(r for r in responses if r.status_code == 429)
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.json()["type"] == "/problems/rate-limited"
        assert limited.json()["limit_per_minute"] == 4
        # another user has a rate of their own
        assert (await api.client.post("/api/v1/tenants", json=create_body(),
                                      headers=auth(new_user()))).status_code == 202


async def test_quota_holds_across_two_api_processes(api_nats: NatsServer,
                                                    api_database: str) -> None:
    limits = {"TENANT_QUOTA_PER_USER": "5", "RATE_LIMIT_CREATES_PER_MINUTE": "100"}
    replicas = [RunningApi(_env(api_nats, api_database, free_port()) | limits)
                for _ in range(2)]
    try:
        for replica in replicas:
            await asyncio.to_thread(wait_http_ok, f"{replica.url}/readyz", 30, replica.service)
        user = new_user()
        async with httpx.AsyncClient(timeout=20) as client:
            responses = await asyncio.gather(*(
                client.post(f"{replicas[i % 2].url}/api/v1/tenants", json=create_body(),
                            headers=auth(user))
                for i in range(20)))
            codes = Counter(r.status_code for r in responses)
            assert codes == {202: 5, 403: 15}, codes
            listed = await client.get(f"{replicas[0].url}/api/v1/tenants?limit=100",
                                      headers=auth(user))
            assert len(listed.json()["items"]) == 5
    finally:
        for replica in replicas:
            replica.stop_gracefully()


async def test_a_slug_held_by_another_user_answers_409_before_the_limits(
        api_nats: NatsServer, api_database: str) -> None:
    config = settings(nats_url_as(api_nats, "api"), api_database,
                      limits=Limits(quota_per_user=1, creates_per_minute=1))
    async with running_api(config) as api:
        taken = create_body()
        assert (await api.client.post("/api/v1/tenants", json=taken,
                                      headers=auth(new_user()))).status_code == 202
        user = new_user()
        assert (await api.client.post("/api/v1/tenants", json=create_body(),
                                      headers=auth(user))).status_code == 202
        # Over both the rate and the quota now, yet the slug is what the answer names.
        other = await api.client.post("/api/v1/tenants", json=create_body(taken["slug"]),
                                      headers=auth(user))
        assert other.status_code == 409, other.text
        assert (await api.client.post("/api/v1/tenants", json=create_body(),
                                      headers=auth(user))).status_code == 429


async def test_a_refused_create_keeps_neither_its_key_nor_its_slug(
        api_nats: NatsServer, api_database: str) -> None:
    config = settings(nats_url_as(api_nats, "api"), api_database,
                      limits=Limits(quota_per_user=1, creates_per_minute=100))
    async with running_api(config) as api:
        user = new_user()
        assert (await api.client.post("/api/v1/tenants", json=create_body(),
                                      headers=auth(user))).status_code == 202
        refused_body = create_body()
        headers = auth(user) | {"Idempotency-Key": "refused"}
        refused = await api.client.post("/api/v1/tenants", json=refused_body, headers=headers)
        assert refused.status_code == 403, refused.text
        # The key was not recorded: another body with it is refused at the quota, not 422.
        again = await api.client.post("/api/v1/tenants", json=create_body(), headers=headers)
        assert again.status_code == 403, again.text
        # Nor was the slug: someone else takes it.
        assert (await api.client.post("/api/v1/tenants", json=refused_body,
                                      headers=auth(new_user()))).status_code == 202
        assert await _held(api, user) == 1
