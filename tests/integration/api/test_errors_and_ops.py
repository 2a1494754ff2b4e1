"""problem+json for every error; health, readiness, metrics, SPA config, dev tokens, tracing."""

from __future__ import annotations

import uuid

from nats.aio.client import Client as NATS

from tenant_contracts.subjects import STREAM_NAME
from tenantctl.nats_server import NatsServer
from tests.conftest import nats_url_as
from tests.integration.api.support import Api, auth, create_body, new_user, running_api, settings

PROBLEM = "application/problem+json"


def _is_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"], body


async def test_framework_errors_are_problems(api: Api) -> None:
    headers = auth(new_user())
    _is_problem(await api.client.get("/no/such/route", headers=headers), 404)
    _is_problem(await api.client.get("/api/v1/tenants/not-a-uuid", headers=headers), 404)
    not_allowed = await api.client.put("/api/v1/tenants", headers=headers)
    _is_problem(not_allowed, 405)
    _is_problem(await api.client.post("/api/v1/tenants", content=b"{nope",
                                      headers=headers | {"content-type": "application/json"}),
                400)
    _is_problem(await api.client.post("/api/v1/tenants", json=[1, 2], headers=headers), 422)
    _is_problem(await api.client.get("/api/v1/tenants", params={"status": "Sleeping"},
                                     headers=headers), 422)


async def test_request_body_size_is_limited(api: Api) -> None:
    body = create_body(name="x" * 100_000)
    _is_problem(await api.client.post("/api/v1/tenants", json=body,
                                      headers=auth(new_user())), 413)


async def test_health_readiness_and_metrics(api: Api) -> None:
    assert (await api.client.get("/healthz")).json()["status"] == "ok"
    await api.wait_projected()
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"nats": True, "stream": True, "postgres": True,
                                      "projection": True}
    await api.create(new_user())
    metrics = await api.client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'api_http_requests_total{method="POST",route="/api/v1/tenants",status="202"}' in text
    assert 'api_events_appended_total{type="TenantRequested"}' in text
    assert "api_projection_applied_seq" in text


async def test_spa_config_and_dev_tokens(api: Api) -> None:
    config = (await api.client.get("/config.json")).json()
    assert config == {"notifier_url": "ws://localhost:9/ws", "dev_tokens": True}
    token = (await api.client.post("/api/v1/dev/token",
                                   json={"sub": "dev-user", "roles": ["admin"]})).json()["token"]
    listed = await api.client.get("/api/v1/tenants", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    spa = await api.client.get("/")
    assert spa.status_code == 200 and spa.headers["content-type"].startswith("text/html")


async def test_dev_tokens_are_off_by_default(api_nats: NatsServer, fresh_database: str) -> None:
    async with running_api(settings(nats_url_as(api_nats, "api"), fresh_database)) as api:
        _is_problem(await api.client.post("/api/v1/dev/token", json={"sub": "x"}), 404)
        assert (await api.client.get("/config.json")).json() == {
            "notifier_url": None, "dev_tokens": False}


async def test_openapi_schema_is_served(api: Api) -> None:
    schema = (await api.client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert set(paths["/api/v1/tenants/{tenant_id}"]) == {"get", "patch", "delete"}
    post = paths["/api/v1/tenants"]["post"]
    assert post["responses"]["202"]["headers"]["Location"]["required"] is True
    assert post["responses"]["409"]["content"][PROBLEM]["examples"]
    assert post["responses"]["202"]["content"]["application/json"]["examples"]


async def _published_headers(nc: NATS, seq: int) -> dict[str, str]:
    msg = await nc.jetstream().get_msg(STREAM_NAME, seq=seq, direct=True)
    return dict(msg.headers or {})


async def test_appends_carry_trace_context(api: Api, api_nc: NATS) -> None:
    trace_id = uuid.uuid4().hex
    incoming = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    traced = await api.client.post("/api/v1/tenants", json=create_body(),
                                   headers=auth(new_user()) | {"traceparent": incoming})
    headers = await _published_headers(api_nc, traced.json()["version"])
    assert headers["traceparent"].split("-")[1] == trace_id
    assert headers["Nats-Msg-Id"]
    untraced = await api.client.post("/api/v1/tenants", json=create_body(),
                                     headers=auth(new_user()))
    version, trace, span, flags = (
        await _published_headers(api_nc, untraced.json()["version"]))["traceparent"].split("-")
    assert (version, len(trace), len(span), flags) == ("00", 32, 16, "01")
    assert int(trace, 16) != 0


async def test_validation_names_every_bad_field_at_once(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/tenants", headers=auth(new_user()),
        json={"name": "", "slug": "Not A Slug", "admin_email": "nope", "plan": "gold"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [
        ("name", "body"), ("slug", "body"), ("admin_email", "body"), ("plan", "body")]
    patch = await api.client.patch(f"/api/v1/tenants/{uuid.uuid4()}", headers=auth(new_user()),
                                   json={"name": "", "plan": "gold"})
    assert patch.status_code == 422
    assert [e["field"] for e in patch.json()["errors"]] == ["name", "plan"]
