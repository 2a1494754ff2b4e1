"""The operations view in Chromium: live while tenants provision, Retry from the failures
list, and Cancel from the tenants table ending in the Cancelled badge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from playwright.async_api import expect

from tests.e2e.browser.api_client import ApiClient
from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import Spa, unique
from tests.e2e.browser.stack import BrowserStack


async def open_ops(open_spa: OpenSpa, stack: BrowserStack) -> Spa:
    admin = unique("root")
    spa = await open_spa(stack.platform.token(admin, "admin"), admin)
    await spa.page.get_by_role("link", name="Operations").click()
    await expect(spa.page.get_by_role("heading", name="Operations")).to_be_visible()
    return spa


def count(spa: Spa, status: str) -> str:
    return f'.ops-count[data-status="{status}"] .ops-count-n'


async def test_the_operations_page_updates_live_while_tenants_provision(
    open_spa: OpenSpa, stack: BrowserStack,
) -> None:
    spa = await open_ops(open_spa, stack)
    page = spa.page
    # The provisioner's heartbeat and its consumer, from JetStream.
    await expect(page.locator(".ops-replica")).to_have_count(1)
    await expect(page.locator('.ops-consumer dd[data-figure="pending"]')).to_have_text("0")
    active_before = int(await page.locator(count(spa, "Active")).inner_text())

    user = unique("ops-user")
    async with ApiClient(stack.platform.api_url, stack.platform.token(user)) as client:
        tenants = [await client.create(unique("live")) for _ in range(3)]
    first = tenants[0]["id"]
    # In progress with its stage, the tail with its events, then the counts: no reload.
    await expect(page.locator(f'.ops-in-progress tr[data-tenant-id="{first}"]')
                 ).to_have_count(1)
    await expect(page.locator(f'.ops-tail-item[data-tenant-id="{first}"]'
                              '[data-type="TenantProgress"]').first).to_be_visible()
    await expect(page.locator(count(spa, "Active"))).to_have_text(str(active_before + 3))
    await expect(page.locator(".ops-in-progress tr[data-tenant-id]")).to_have_count(0)
    await expect(page.locator('.ops-stages tr[data-stage="migrating"] td').nth(1)
                 ).not_to_have_text("0")

    # Filter the tail by type and tenant; a tenant links to its history.
    await page.get_by_label("Event type").select_option("TenantActive")
    await page.get_by_label("Tenant", exact=True).fill(tenants[1]["slug"])
    items = page.locator(".ops-tail-item")
    await expect(items).to_have_count(1)
    await expect(items).to_have_attribute("data-tenant-id", tenants[1]["id"])
    await items.get_by_role("button", name=tenants[1]["slug"]).click()
    drawer = page.locator("#history")
    await expect(drawer).to_be_visible()
    await expect(drawer.locator(".history-item")).to_have_count(7)  # requested .. active
    assert await spa.never_reloaded()


async def test_retry_from_the_failures_list(open_spa: OpenSpa, stack: BrowserStack) -> None:
    spa = await open_ops(open_spa, stack)
    user = unique("ops-failing")
    cluster = stack.tenant_cluster
    async with ApiClient(stack.platform.api_url, stack.platform.token(user)) as client:
        await asyncio.to_thread(cluster.stop)
        try:
            tenant = await client.create(unique("down"))
            failure = spa.page.locator(f'.ops-failures tr[data-tenant-id="{tenant["id"]}"]')
            await expect(failure).to_be_visible()
            await expect(failure).to_contain_text(user)
        finally:
            await asyncio.to_thread(cluster.start)
        await failure.get_by_role("button", name=f"Retry {tenant['slug']}").click()
        await expect(failure).to_have_count(0)
        await client.wait_status(tenant["id"], "Active", timeout=30)
    await expect(spa.page.locator(f'.ops-tail-item[data-tenant-id="{tenant["id"]}"]'
                                  '[data-type="TenantRetryRequested"]')).to_have_count(1)


@pytest.fixture
async def creation_held(stack: BrowserStack) -> AsyncIterator[None]:
    """A session on template1 of the tenants' cluster: each CREATE DATABASE waits 5 s and
    fails (transient), so a tenant stays in creating_database long enough to cancel."""
    conn = await asyncpg.connect(stack.tenant_cluster.url("template1"))
    try:
        yield
    finally:
        await conn.close()


async def test_cancel_from_the_table_ends_in_the_cancelled_badge(
    open_spa: OpenSpa, stack: BrowserStack, creation_held: None,
) -> None:
    user = unique("canceller")
    spa = await open_spa(stack.platform.token(user), user)
    slug = unique("stop")
    await spa.create("Stop Me Inc", slug)
    await spa.expect_status(slug, "Provisioning")
    row = spa.row(slug)
    await row.get_by_role("button", name="Cancel Stop Me Inc").click()
    dialog = spa.page.locator("#cancel-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Keep provisioning")).to_be_focused()
    await dialog.get_by_role("button", name="Cancel provisioning").click()
    await expect(dialog).to_be_hidden()
    await spa.expect_status(slug, "Cancelled", timeout=30_000)
    await expect(row.locator(".badge")).to_have_attribute("data-tone", "cancelled")
    await expect(row.get_by_role("button", name="Cancel Stop Me Inc")).to_be_hidden()
    await expect(row.get_by_role("button", name="Retry Stop Me Inc")).to_be_visible()
    assert (await spa.statuses_seen(slug))[-2:] == ["Provisioning", "Cancelled"]
    assert await spa.never_reloaded()
