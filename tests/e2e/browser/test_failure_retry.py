"""A tenant whose database server is down fails visibly, and Retry works once it is back."""

from __future__ import annotations

import asyncio

from playwright.async_api import expect

from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique
from tests.e2e.browser.stack import BrowserStack


async def test_a_failed_tenant_shows_its_error_and_retry_brings_it_to_active(
    open_spa: OpenSpa, stack: BrowserStack,
) -> None:
    user = unique("linus")
    spa = await open_spa(stack.platform.token(user), user)
    slug = unique("down")
    cluster = stack.tenant_cluster
    await asyncio.to_thread(cluster.stop)
    try:
        await spa.create("Downtime Ltd", slug)
        # Three attempts (backoff 0.2 s, 0.3 s), then Failed with the last error.
        await spa.expect_status(slug, "Failed")
        row = spa.row(slug)
        await expect(row.locator(".note-text")).to_contain_text("Failed after 3 attempts: ")
        notes = [s["note"] for s in await spa.trace(slug)]
        assert any(n.startswith("attempt 1 failed: ") and ", retrying" in n for n in notes), notes
        assert any(n.startswith("attempt 2 failed: ") for n in notes), notes
        toast = spa.page.get_by_role("alert").filter(has_text="Downtime Ltd failed")
        await expect(toast).to_be_visible()

        retry = row.get_by_role("button", name="Retry Downtime Ltd")
        await expect(retry).to_be_enabled()
        # No database to update: only Retry or Delete apply to a Failed tenant.
        await expect(row.get_by_role("button", name="Edit Downtime Ltd")).to_be_disabled()
        await expect(row.get_by_role("button", name="Delete Downtime Ltd")).to_be_enabled()
    finally:
        await asyncio.to_thread(cluster.start)

    await retry.click()
    await spa.expect_status(slug, "Active")
    await expect(retry).to_be_hidden()
    await expect(row.get_by_role("button", name="Edit Downtime Ltd")).to_be_enabled()
    await expect(row.locator(".note")).to_be_hidden()
    statuses = await spa.statuses_seen(slug)
    # A page that is behind gets several events in one `events` frame and renders once
    # (the protocol allows it): the brief Pending may then never be on screen.
    assert statuses[statuses.index("Failed"):] in (
        ["Failed", "Pending", "Provisioning", "Active"], ["Failed", "Provisioning", "Active"])
    assert await spa.never_reloaded()
