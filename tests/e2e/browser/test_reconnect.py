"""A page whose socket is cut catches up after the notifier is back: no row left stale."""

from __future__ import annotations

import asyncio

from playwright.async_api import expect

from tests.e2e.browser.api_client import ApiClient
from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique
from tests.e2e.browser.stack import BrowserStack


async def test_a_page_catches_up_on_what_happened_while_the_notifier_was_down(
    open_spa: OpenSpa, stack: BrowserStack,
) -> None:
    platform = stack.platform
    user = unique("margaret")
    spa = await open_spa(platform.token(user), user)
    before, during = unique("before"), unique("during")
    await spa.create("Before Cut", before)
    await spa.expect_status(before, "Provisioning")

    await asyncio.to_thread(platform.services["notifier"].stop)
    await spa.expect_connection("Reconnecting…")
    async with ApiClient(platform.api_url, platform.token(user)) as api:
        # Events appended while the page cannot hear them: the rest of `before`'s
        # provisioning and the whole life of `during`, requested by another tab.
        first = next(t for t in await api.tenants() if t["slug"] == before)
        created = await api.create(during, "During Cut")
        await api.wait_status(first["id"], "Active")
        await api.wait_status(created["id"], "Active")
        await expect(spa.row(during)).to_have_count(0)

        await asyncio.to_thread(platform.start, "notifier")
        await spa.expect_connection("Live", timeout=30_000)
        await spa.expect_status(during, "Active")
        await spa.expect_status(before, "Active")

        truth = {t["slug"]: t for t in await api.tenants()}
    shown = await spa.rows()
    assert set(shown) == set(truth)
    for slug, row in shown.items():
        assert (row["status"], int(row["version"])) == (truth[slug]["status"],
                                                         truth[slug]["version"]), slug
    assert await spa.never_reloaded()
