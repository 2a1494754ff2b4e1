"""The token's email claim is recorded with the request, for the mail nobody watched."""

from __future__ import annotations

from tenantctl.tokens import mint_token
from tests.conftest import JWT_SECRET
from tests.integration.api.support import Api, auth, create_body, new_user


async def test_the_email_claim_is_recorded_in_tenant_requested(api: Api) -> None:
    user = new_user()
    headers = {"Authorization": f"Bearer {mint_token(JWT_SECRET, user, email='me@own.test')}"}
    for given, expected in ((headers, "me@own.test"), (auth(user), None)):
        created = await api.client.post("/api/v1/tenants", json=create_body(), headers=given)
        assert created.status_code == 202, created.text
        events = await api.client.get(f"/api/v1/tenants/{created.json()['id']}/events",
                                      headers=given)
        requested = events.json()["items"][0]["event"]
        assert requested["type"] == "TenantRequested"
        assert requested["owner_email"] == expected
