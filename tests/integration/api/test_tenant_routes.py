"""Create, read, list and history routes, with the access rules of SPEC section 3."""

from __future__ import annotations

import uuid

from nats.aio.client import Client as NATS

from tenant_contracts.events import TenantActive, TenantProvisioning
from tenant_contracts.subjects import STREAM_NAME
from tests.integration.api.support import Api, Provisioner, auth, create_body, new_user


async def test_create_answers_202_with_location_and_the_pending_tenant(api: Api) -> None:
    user = new_user()
    body = create_body(plan="pro")
    response = await api.client.post("/api/v1/tenants", json=body, headers=auth(user))
    assert response.status_code == 202, response.text
    tenant = response.json()
    assert response.headers["location"] == f"/api/v1/tenants/{tenant['id']}"
    assert {k: tenant[k] for k in ("name", "slug", "plan", "admin_email")} == body
    assert (tenant["owner"], tenant["status"], tenant["progress"]) == (user, "Pending", 0)
    assert tenant["version"] >= 1
    got = await api.get(user, tenant["id"])
    assert got.status_code == 200 and got.json() == tenant


async def test_plan_defaults_to_free(api: Api) -> None:
    body = create_body()
    response = await api.client.post("/api/v1/tenants", json=body, headers=auth(new_user()))
    assert response.json()["plan"] == "free"


async def test_invalid_fields_are_422_with_field_errors(api: Api) -> None:
    cases = [
        ({"slug": "Not_A_Slug"}, "slug"), ({"slug": "ab"}, "slug"), ({"slug": "1abc"}, "slug"),
        ({"admin_email": "not-an-email"}, "admin_email"), ({"plan": "gold"}, "plan"),
        ({"name": ""}, "name"), ({"name": "   "}, "name"),
    ]
    for override, field in cases:
        response = await api.client.post("/api/v1/tenants", json=create_body(**override),
                                         headers=auth(new_user()))
        assert response.status_code == 422, (override, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["status"] == 422 and problem["type"] and problem["title"]
        assert [e["field"] for e in problem["errors"]] == [field], problem
    missing = await api.client.post("/api/v1/tenants", json={"name": "x"},
                                    headers=auth(new_user()))
    assert missing.status_code == 422 and missing.json()["errors"]


async def test_other_users_get_404_and_admins_see_all(api: Api) -> None:
    alice, bob = new_user(), new_user()
    tenant = await api.create(alice)
    path = f"/api/v1/tenants/{tenant['id']}"
    for method, suffix in (("GET", ""), ("GET", "/events"), ("PATCH", ""), ("DELETE", ""),
                           ("POST", "/retry")):
        response = await api.client.request(method, path + suffix, headers=auth(bob),
                                            json={"name": "x"} if method == "PATCH" else None)
        assert response.status_code == 404, (method, suffix, response.text)
        assert response.json()["detail"] == "no such tenant"
    assert (await api.get("root", tenant["id"], "admin")).status_code == 200
    as_admin = await api.client.get(path + "/events", headers=auth("root", "admin"))
    assert as_admin.status_code == 200
    unknown = await api.get(alice, str(uuid.uuid4()))
    assert unknown.status_code == 404


async def test_admin_manages_others_tenants(api: Api, provisioner: Provisioner) -> None:
    tenant = await api.create(new_user())
    await provisioner.append(tenant, TenantProvisioning, attempt=1)
    await provisioner.append(tenant, TenantActive, database="tenant_x")
    response = await api.client.patch(f"/api/v1/tenants/{tenant['id']}", json={"plan": "pro"},
                                      headers=auth("root", "admin"))
    assert response.status_code == 202, response.text
    events = (await api.client.get(f"/api/v1/tenants/{tenant['id']}/events",
                                   headers=auth(tenant["owner"]))).json()["items"]
    assert events[-1]["event"]["actor"] == "root"
    assert events[-1]["event"]["owner"] == tenant["owner"]


async def test_list_is_paged_newest_first_and_filtered(api: Api,
                                                       provisioner: Provisioner) -> None:
    user = new_user()
    created = [await api.create(user) for _ in range(5)]
    await provisioner.append(created[0], TenantProvisioning, attempt=1)
    await api.wait_projected()
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.client.get("/api/v1/tenants", params=params, headers=auth(user))).json()
        seen += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [t["id"] for t in reversed(created)]
    provisioning = (await api.client.get("/api/v1/tenants", params={"status": "Provisioning"},
                                         headers=auth(user))).json()
    assert [t["id"] for t in provisioning["items"]] == [created[0]["id"]]
    # Another user sees none of them; an admin sees them among everyone's.
    other = (await api.client.get("/api/v1/tenants", headers=auth(new_user()))).json()
    assert other["items"] == []
    everyone = (await api.client.get("/api/v1/tenants", params={"limit": 100},
                                     headers=auth("root", "admin"))).json()
    assert {t["id"] for t in created} <= {t["id"] for t in everyone["items"]}


async def test_list_limit_is_at_most_100(api: Api) -> None:
    for limit in (0, 101, -1):
        response = await api.client.get("/api/v1/tenants", params={"limit": limit},
                                        headers=auth(new_user()))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "limit"
    forged = await api.client.get("/api/v1/tenants", params={"cursor": "bm9wZQ"},
                                  headers=auth(new_user()))
    assert forged.status_code == 400 and forged.json()["errors"][0]["field"] == "cursor"


async def test_as_of_is_the_stream_seq_the_page_reflects(api: Api, api_nc: NATS) -> None:
    user = new_user()
    tenant = await api.create(user)
    head = await api.wait_projected()
    page = (await api.client.get("/api/v1/tenants", headers=auth(user))).json()
    assert page["as_of"] == head
    assert all(t["version"] <= page["as_of"] for t in page["items"])
    assert [t["id"] for t in page["items"]] == [tenant["id"]]
    info = await api_nc.jetstream().stream_info(STREAM_NAME)
    assert info.state.last_seq == head


async def test_history_is_read_from_the_stream_in_order(api: Api,
                                                        provisioner: Provisioner) -> None:
    user = new_user()
    tenant = await api.create(user)
    seqs = [await provisioner.append(tenant, TenantProvisioning, attempt=1),
            await provisioner.append(tenant, TenantActive, database="tenant_db")]
    response = await api.client.get(f"/api/v1/tenants/{tenant['id']}/events", headers=auth(user))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["seq"] for i in items] == [tenant["version"], *seqs]
    assert [i["event"]["type"] for i in items] == [
        "TenantRequested", "TenantProvisioning", "TenantActive"]
    assert all(i["event"]["tenant_id"] == tenant["id"] for i in items)


async def test_read_your_writes_never_404(api: Api) -> None:
    user = new_user()
    for _ in range(20):
        tenant = await api.create(user)
        got = await api.get(user, tenant["id"])
        assert got.status_code == 200 and got.json()["status"] == "Pending"
