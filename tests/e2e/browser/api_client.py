"""The api over HTTP, for setting the scene and for checking what the page shows."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import wait_until


class ApiClient:
    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url,
                                      headers={"Authorization": f"Bearer {token}"})

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def create(self, slug: str, name: str | None = None, plan: str = "free") -> Any:
        response = await self.http.post("/api/v1/tenants", json={
            "name": name or slug.title(), "slug": slug, "plan": plan,
            "admin_email": f"admin@{slug}.example"})
        assert response.status_code == 202, response.text
        return response.json()

    async def get(self, tenant_id: str) -> Any:
        response = await self.http.get(f"/api/v1/tenants/{tenant_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def tenants(self) -> list[Any]:
        items: list[Any] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            response = await self.http.get("/api/v1/tenants", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["items"])
            if not page["next_cursor"]:
                return items
            params["cursor"] = page["next_cursor"]

    async def wait_status(self, tenant_id: str, status: str, timeout: float = 20) -> Any:
        async def reached() -> Any:
            tenant = await self.get(tenant_id)
            return tenant if tenant["status"] == status else None
        return await wait_until(reached, timeout=timeout, interval=0.1)
