"""Create a tenant in the form and watch it come alive, without a reload."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique

STAGE_LABELS = ["Creating database", "Migrating", "Seeding", "Verifying"]


async def test_a_new_tenant_goes_pending_provisioning_active_with_a_moving_bar(
    open_spa: OpenSpa,
) -> None:
    spa = await open_spa()
    user = unique("ada")
    await spa.sign_in_with_dev_token(user)
    slug = unique("acme")

    form = spa.page.locator("#create-form")
    await form.get_by_label("Name").fill("Acme Browser Co")
    # The slug follows the name until the user types one of their own.
    await expect(form.get_by_label("Slug")).to_have_value("acme-browser-co")
    await spa.create("Acme Browser Co", slug, plan="pro")

    row = spa.row(slug)
    await expect(row.locator(".c-plan")).to_have_text("pro")
    await expect(row.locator(".owner")).to_have_text(user)
    await expect(row.locator(".you")).to_be_visible()
    await spa.expect_status(slug, "Active")
    await expect(row.locator(".quiet")).to_have_text(f"database tenant_{slug.replace('-', '_')}")

    # Pending lasts as long as the pickup (a few ms): when the page is behind, one
    # `events` frame carries it with TenantProvisioning and the row renders once.
    assert await spa.statuses_seen(slug) in (["Pending", "Provisioning", "Active"],
                                             ["Provisioning", "Active"])
    trace = await spa.trace(slug)
    bar = [s["progress"] for s in trace if s["status"] == "Provisioning" and s["progress"]]
    assert len(set(bar)) >= 3 and bar == sorted(bar), f"the bar did not move forward: {bar}"
    assert all(0 < percent < 100 for percent in bar), bar
    stages = [s["stage"].split(" · ")[0] for s in trace if s["progress"]]
    assert [label for label in STAGE_LABELS if label in stages] == STAGE_LABELS, stages
    # Busy rows cannot be edited; the Active one can.
    assert all(s["edit_disabled"] for s in trace if s["status"] in ("Pending", "Provisioning"))
    await expect(row.get_by_role("button", name="Edit Acme Browser Co")).to_be_enabled()

    toast = spa.page.locator("#toasts .toast")
    await expect(toast).to_contain_text("Acme Browser Co is active")
    assert await spa.never_reloaded()


async def test_the_history_drawer_grows_live_and_closes_with_escape(open_spa: OpenSpa) -> None:
    spa = await open_spa()
    await spa.sign_in_with_dev_token(unique("grace"))
    slug = unique("hist")
    await spa.create("History Inc", slug)
    row = spa.row(slug)

    opener = row.get_by_role("button", name="History of History Inc")
    await opener.click()
    # Opened while the tenant is still on its way: what follows arrives over the socket.
    assert await row.get_attribute("data-status") != "Active"
    drawer = spa.page.get_by_role("dialog", name="History of History Inc")
    await expect(drawer).to_be_visible()
    items = drawer.locator(".history-item strong")
    await expect(items).to_have_text(["Requested", "Provisioning started", "Progress", "Progress",
                                      "Progress", "Progress", "Active"])
    metas = await drawer.locator(".history-meta").all_inner_texts()
    seqs = [int(text.split()[1]) for text in metas]
    assert seqs == sorted(set(seqs)), seqs
    await spa.page.keyboard.press("Escape")
    await expect(drawer).to_be_hidden()
    await expect(opener).to_be_focused()
