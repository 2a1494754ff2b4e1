"""Sign-in and its end: an expired token sends the user back to sign in (socket 4401)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique
from tests.e2e.browser.stack import BrowserStack


async def test_an_expired_session_asks_for_a_new_token_and_resumes(
    open_spa: OpenSpa, stack: BrowserStack,
) -> None:
    user = unique("katherine")
    spa = await open_spa(stack.platform.token(user, ttl_seconds=5), user)
    notice = spa.page.locator("#signin-notice")
    # The notifier closes the socket with 4401 when the token expires.
    await expect(notice).to_contain_text("Your session has expired", timeout=15_000)
    await expect(spa.page.locator("#workspace")).to_be_hidden()
    await spa.expect_connection("Session expired")
    assert await spa.page.evaluate("sessionStorage.length") == 0

    await spa.sign_in_with_token(stack.platform.token(user), user)
    await expect(notice).to_be_hidden()
    assert await spa.never_reloaded()


async def test_a_malformed_token_is_refused_at_the_field(open_spa: OpenSpa) -> None:
    spa = await open_spa()
    await spa.page.get_by_label("Paste a token").fill("not-a-jwt")
    await spa.page.get_by_role("button", name="Sign in with this token").click()
    field = spa.page.get_by_label("Paste a token")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(spa.page.locator("#token-input-error")).to_contain_text("not a JWT")
    await expect(spa.page.locator("#workspace")).to_be_hidden()
