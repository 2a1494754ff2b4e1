"""The create form checks what the api checks, and shows the api's answers at the fields."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.browser.api_client import ApiClient
from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique
from tests.e2e.browser.stack import BrowserStack


async def test_a_taken_slug_is_shown_at_the_slug_field(
    open_spa: OpenSpa, stack: BrowserStack,
) -> None:
    platform = stack.platform
    owner, other = unique("hedy"), unique("joan")
    slug = unique("taken")
    async with ApiClient(platform.api_url, platform.token(owner)) as api:
        await api.create(slug, "First Owner")
    spa = await open_spa(platform.token(other), other)

    await spa.fill_create_form("Second Try", slug, "joan@example.com")
    async with spa.page.expect_response("**/api/v1/tenants") as answer:
        await spa.page.get_by_role("button", name="Create tenant").click()
    assert (await answer.value).status == 409

    slug_input = spa.page.locator("#create-form").get_by_label("Slug")
    await expect(slug_input).to_have_attribute("aria-invalid", "true")
    await expect(slug_input).to_be_focused()
    slug_error = spa.page.locator("#create-slug-error")
    await expect(slug_error).to_be_visible()
    await expect(slug_error).to_contain_text(slug)
    await expect(spa.page.locator("#create-name")).not_to_have_attribute("aria-invalid", "true")
    await expect(spa.row(slug)).to_have_count(0)

    # Typing a new slug clears the message; the form then succeeds.
    fresh = unique("fresh")
    await slug_input.fill(fresh)
    await expect(slug_error).to_be_hidden()
    await spa.page.get_by_role("button", name="Create tenant").click()
    await expect(spa.row(fresh)).to_have_count(1)


async def test_invalid_fields_are_flagged_before_any_request(open_spa: OpenSpa,
                                                             stack: BrowserStack) -> None:
    user = unique("mary")
    spa = await open_spa(stack.platform.token(user), user)
    posts: list[str] = []
    spa.page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    await spa.fill_create_form("   ", "9-lives", "not-an-email")
    # Submitted from the keyboard: Enter in the last field.
    await spa.page.locator("#create-email").press("Enter")

    for field, message in (("name", "Enter a name."),
                           ("slug", "Start with a lowercase letter."),
                           ("email", "Enter an email address like ada@example.com.")):
        await expect(spa.page.locator(f"#create-{field}")).to_have_attribute("aria-invalid", "true")
        await expect(spa.page.locator(f"#create-{field}-error")).to_have_text(message)
    await expect(spa.page.locator("#create-name")).to_be_focused()

    await spa.page.locator("#create-slug").fill("ab")
    await spa.page.get_by_role("button", name="Create tenant").click()
    await expect(spa.page.locator("#create-slug-error")).to_have_text("Use 3 to 40 characters.")
    assert posts == []
