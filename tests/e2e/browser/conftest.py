from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from playwright.async_api import Browser, async_playwright, expect

from tenantctl.postgres import PostgresCluster
from tests.conftest import unique_database
from tests.e2e.browser.spa import CHROMIUM, CHROMIUM_ARGS, Spa
from tests.e2e.browser.stack import BrowserStack, browser_stack

OpenSpa = Callable[..., Awaitable[Spa]]


@pytest.fixture(scope="package")
async def browser_read_model(postgres: PostgresCluster) -> str:
    return await unique_database(postgres, "browser_read_model")


@pytest.fixture(scope="package")
def stack(browser_read_model: str) -> Iterator[BrowserStack]:
    # A quota of its own for enterprise creates, so that test_owners reaches one quickly.
    with browser_stack(browser_read_model,
                       extra_env={"TENANT_QUOTA_PER_PLAN": "enterprise=2"}) as running:
        yield running


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    expect.set_options(timeout=20_000)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def open_spa(browser: Browser, stack: BrowserStack) -> AsyncIterator[OpenSpa]:
    """Opens the SPA in a fresh browser context (its own sessionStorage), signed in or not."""
    contexts = []

    async def open_as(token: str | None = None, sub: str = "") -> Spa:
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        contexts.append(context)
        spa = await Spa.open(context, stack.platform.api_url)
        if token:
            await spa.sign_in_with_token(token, sub)
        return spa

    yield open_as
    for context in contexts:
        await context.close()
