"""What an owner's limits and live history look like in the SPA."""

from __future__ import annotations

from playwright.async_api import WebSocket, expect

from tests.e2e.browser.api_client import ApiClient
from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique
from tests.e2e.browser.stack import BrowserStack


async def test_the_quota_error_is_shown_at_the_form(open_spa: OpenSpa,
                                                    stack: BrowserStack) -> None:
    platform = stack.platform
    owner = unique("quota")
    async with ApiClient(platform.api_url, platform.token(owner)) as api:
        for _ in range(2):  # enterprise creates have a quota of 2 here (conftest)
            await api.create(unique("held"))
    spa = await open_spa(platform.token(owner), owner)
    slug = unique("over")
    await spa.fill_create_form("One Too Many", slug, "ada@example.com", plan="enterprise")
    async with spa.page.expect_response("**/api/v1/tenants") as answer:
        await spa.page.get_by_role("button", name="Create tenant").click()
    assert (await answer.value).status == 403
    message = spa.page.locator("#create-form .form-message")
    await expect(message).to_contain_text("you hold 2 of 2 tenants")
    await expect(spa.row(slug)).to_have_count(0)


async def test_the_history_drawer_follows_its_tenant_on_a_socket_of_its_own(
        open_spa: OpenSpa) -> None:
    spa = await open_spa()
    sockets: list[WebSocket] = []
    spa.page.on("websocket", lambda socket: sockets.append(socket))
    await spa.sign_in_with_dev_token(unique("lin"))
    slug = unique("live")
    await spa.create("Live Drawer", slug)
    row = spa.row(slug)
    await row.get_by_role("button", name="History of Live Drawer").click()
    drawer = spa.page.get_by_role("dialog", name="History of Live Drawer")
    subtitle = await drawer.locator(".drawer-subtitle").inner_text()
    tenant_id = subtitle.split("·")[-1].strip()
    # Everything after the loaded history arrives over the drawer's socket: to Active.
    await expect(drawer.locator(".history-item strong").last).to_have_text("Active")
    followers = [s for s in sockets if f"tenant={tenant_id}" in s.url]
    assert len(followers) == 1, [s.url for s in sockets]
    assert "after=" in followers[0].url
    await spa.page.keyboard.press("Escape")
    await expect(drawer).to_be_hidden()
    assert followers[0].is_closed() or await _closes(followers[0])


async def _closes(socket: WebSocket) -> bool:
    await socket.wait_for_event("close", timeout=5000)
    return True
