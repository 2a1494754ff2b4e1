"""/schema renders from the api alone: every request to anywhere else is cut."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.async_api import Browser, Route, expect

from tests.e2e.browser.stack import BrowserStack

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


async def test_the_schema_page_renders_with_the_network_to_the_outside_cut(
    browser: Browser, stack: BrowserStack
) -> None:
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    outside: list[str] = []
    local: list[str] = []

    async def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            local.append(urlsplit(url).path)
            await route.continue_()
        else:
            outside.append(url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_local)
    try:
        page = await context.new_page()
        await page.goto(f"{stack.platform.api_url}/schema")
        await expect(page.get_by_role("heading", name=re.compile("Tenant platform API"))) \
            .to_be_visible()
        # The operations, drawn by the script: the page is not just its HTML.
        await expect(page.get_by_text("Request a new tenant")).to_be_visible()
        await expect(page.get_by_text("/api/v1/tenants/{tenant_id}/events")).to_be_visible()
        await page.get_by_text("Request a new tenant").click()
        await expect(page.get_by_text("admin_email").first).to_be_visible()
    finally:
        await context.close()
    assert outside == [], "the page asked the outside for something"
    assert any(path.startswith("/vendor/swagger-ui-dist-") for path in local), local
