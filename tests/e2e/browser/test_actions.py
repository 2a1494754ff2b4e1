"""Edit and delete from the table, each disabled while the tenant is busy."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.browser.api_client import ApiClient
from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique
from tests.e2e.browser.stack import BrowserStack


async def test_edit_then_delete_with_confirmation(open_spa: OpenSpa, stack: BrowserStack) -> None:
    platform = stack.platform
    user = unique("barbara")
    slug = unique("edit")
    async with ApiClient(platform.api_url, platform.token(user)) as api:
        tenant = await api.create(slug, "Old Name")
        await api.wait_status(tenant["id"], "Active")
    spa = await open_spa(platform.token(user), user)
    row = spa.row(slug)
    await spa.expect_status(slug, "Active")

    await row.get_by_role("button", name="Edit Old Name").click()
    dialog = spa.page.get_by_role("dialog", name="Edit tenant")
    await dialog.get_by_label("Name").fill("New Name")
    await dialog.get_by_label("Plan").select_option("enterprise")
    await dialog.get_by_role("button", name="Save changes").click()
    await expect(dialog).to_be_hidden()
    await expect(row.locator(".name")).to_have_text("New Name")
    await expect(row.locator(".c-plan")).to_have_text("enterprise")
    await spa.expect_status(slug, "Active")
    await expect(spa.page.locator("#toasts")).to_contain_text("New Name is updated")
    trace = await spa.trace(slug)
    assert "Updating" in [s["status"] for s in trace]
    assert all(s["edit_disabled"] for s in trace if s["status"] == "Updating")

    delete = row.get_by_role("button", name="Delete New Name")
    # Enabled again as soon as the update has finished, not after a timeout.
    await expect(delete).to_be_enabled(timeout=5_000)
    await delete.click()
    confirm = spa.page.get_by_role("dialog", name="Delete New Name?")
    # It names what goes: the database the provisioner made for this slug.
    await expect(confirm.locator(".delete-database")).to_have_text(
        "tenant_" + slug.replace("-", "_"))
    # The safe answer has the focus: Escape or Cancel leaves the tenant alone.
    await expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    await spa.page.keyboard.press("Escape")
    await expect(confirm).to_be_hidden()
    await delete.click()
    await confirm.get_by_role("button", name="Delete tenant").click()
    # Deleted tenants leave the table unless asked for.
    await expect(row).to_have_count(0)
    await spa.page.get_by_label("Show deleted").check()
    await spa.expect_status(slug, "Deleted")
    assert "Deleting" in await spa.statuses_seen(slug)
    assert await spa.never_reloaded()
