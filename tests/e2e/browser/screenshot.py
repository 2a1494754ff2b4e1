"""Takes docs/screenshot-provisioning.png: the table of an admin while tenants provision.

    uv run python -m tests.e2e.browser.screenshot [output.png]

Starts a platform of its own (stack.py), sets the scene through the api (tenants that are
active, one that failed while its database server was down), then provisions more while an
admin watches in Chromium, and captures the page mid-way.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from playwright.async_api import async_playwright, expect

from tests.e2e.browser.api_client import ApiClient
from tests.e2e.browser.spa import CHROMIUM, CHROMIUM_ARGS, Spa
from tests.e2e.browser.stack import BrowserStack, browser_stack

OUTPUT = Path(__file__).resolve().parents[3] / "docs" / "screenshot-provisioning.png"
# Slow stages, so that the bars stand at different places when the picture is taken.
SCENE_ENV = {"PROVISIONER_STAGE_DELAY_SECONDS": "1.5"}


async def set_scene(stack: BrowserStack) -> None:
    platform = stack.platform

    def client(sub: str, *roles: str) -> ApiClient:
        return ApiClient(platform.api_url, platform.token(sub, *roles))

    async with client("root", "admin") as root, client("grace") as grace, \
            client("ada") as ada, client("linus") as linus:
        await asyncio.to_thread(stack.tenant_cluster.stop)
        failed = await grace.create("initech", "Initech", plan="pro")
        await root.wait_status(failed["id"], "Failed")
        await asyncio.to_thread(stack.tenant_cluster.start)
        actives = [
            await ada.create("acme", "Acme Corporation", plan="enterprise"),
            await grace.create("globex", "Globex", plan="pro"),
            await linus.create("soylent", "Soylent Foods"),
        ]
        for tenant in actives:
            await root.wait_status(tenant["id"], "Active", timeout=60)


async def capture(stack: BrowserStack, output: Path) -> None:
    platform = stack.platform
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1440, "height": 820},
                                            device_scale_factor=1)
        spa = await Spa.open(context, platform.api_url)
        await spa.sign_in_with_dev_token("root", admin=True)
        await spa.create("Stark Industries", "stark", email="pepper@stark.example",
                         plan="enterprise")
        await spa.expect_status("stark", "Provisioning")
        async with ApiClient(platform.api_url, platform.token("ada")) as ada:
            await wait_for_progress(spa, "stark", 35)
            await ada.create("umbrella", "Umbrella Health", plan="pro")
            await wait_for_progress(spa, "stark", 60)
            await ada.create("hooli", "Hooli")
        await spa.expect_status("hooli", "Provisioning")
        await wait_for_progress(spa, "umbrella", 35)
        await spa.page.locator("#create-name").blur()
        await spa.page.mouse.move(0, 0)
        await spa.page.screenshot(path=str(output), full_page=True)
        await browser.close()
    print(f"wrote {output}")


async def wait_for_progress(spa: Spa, slug: str, percent: int) -> None:
    bar = spa.row(slug).get_by_role("progressbar")
    await expect(bar).to_have_attribute("aria-valuenow", str(percent), timeout=30_000)


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    with browser_stack(extra_env=SCENE_ENV) as stack:
        asyncio.run(set_scene(stack))
        asyncio.run(capture(stack, output))


if __name__ == "__main__":
    main()
