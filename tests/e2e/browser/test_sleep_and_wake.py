"""The laptop lid closes mid-provisioning and opens again: the page catches up.

After a sleep the page's socket looks open but is dead, and nothing tells the
browser. Playwright's clock.fast_forward is the lid: timers frozen, then time
jumps. The page must notice, reconnect after the last seq and show what it missed.
"""

from __future__ import annotations

from playwright.async_api import Browser, Route, expect

from tests.e2e.browser.api_client import ApiClient
from tests.e2e.browser.blackhole_proxy import BlackholeProxy
from tests.e2e.browser.spa import Spa, unique
from tests.e2e.browser.stack import BrowserStack


async def test_after_sleep_the_page_reconnects_and_shows_what_it_missed(
    browser: Browser, stack: BrowserStack,
) -> None:
    platform = stack.platform
    user = unique("grace")
    async with BlackholeProxy(platform.notifier_port) as proxy:
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        try:
            async def through_proxy(route: Route) -> None:
                await route.fulfill(json={"notifier_url": f"ws://127.0.0.1:{proxy.port}/ws",
                                          "dev_tokens": True})

            await context.route("**/config.json", through_proxy)
            await context.clock.install()
            spa = await Spa.open(context, platform.api_url)
            await spa.sign_in_with_token(platform.token(user), user)
            before = unique("before")
            await spa.create("Before Sleep", before)
            await spa.expect_status(before, "Provisioning")

            assert proxy.blackhole() == 1  # the lid closes: the socket is silently dead
            async with ApiClient(platform.api_url, platform.token(user)) as api:
                first = next(t for t in await api.tenants() if t["slug"] == before)
                during = unique("during")
                created = await api.create(during, "During Sleep")
                await api.wait_status(first["id"], "Active")
                await api.wait_status(created["id"], "Active")
                await expect(spa.row(during)).to_have_count(0)
                await expect(spa.page.locator("#connection .conn-text")).to_have_text("Live")

                await spa.page.clock.fast_forward("05:00")  # the lid opens
                await spa.expect_status(during, "Active")
                await spa.expect_status(before, "Active")
                truth = {t["slug"]: t for t in await api.tenants()}
            shown = await spa.rows()
            assert {slug: int(row["version"]) for slug, row in shown.items()} == {
                slug: tenant["version"] for slug, tenant in truth.items()}
            assert await spa.never_reloaded()
        finally:
            await context.close()
