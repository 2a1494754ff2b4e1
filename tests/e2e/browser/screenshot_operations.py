"""Takes docs/screenshot-operations.png: the operations view while tenants provision.

    uv run python -m tests.e2e.browser.screenshot_operations [output.png]

Starts a platform of its own (stack.py) and sets the scene through the api: tenants that
are active, one that failed (its role name was taken by an unmarked role), one waiting for
its next attempt (CREATE DATABASE refused while a session held template1), one cancelled;
then an admin opens the operations view while ten more tenants provision.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
from playwright.async_api import async_playwright, expect

from tests.conftest import wait_until
from tests.e2e.browser.api_client import ApiClient
from tests.e2e.browser.spa import CHROMIUM, CHROMIUM_ARGS, Spa
from tests.e2e.browser.stack import BrowserStack, browser_stack

OUTPUT = Path(__file__).resolve().parents[3] / "docs" / "screenshot-operations.png"
# Slow stages, so that the backlog has rows at different stages; a long first backoff,
# so that the retrying tenant shows its next retry time.
SCENE_ENV = {"PROVISIONER_STAGE_DELAY_SECONDS": "1.5", "PROVISIONER_BACKOFF_SECONDS": "90,120",
             "PROVISIONER_CONCURRENCY": "16"}
LOAD = ["stark", "umbrella", "hooli", "cyberdyne", "tyrell", "wonka", "oscorp", "gringotts",
        "aperture", "vandelay"]


async def set_scene(stack: BrowserStack) -> None:
    platform = stack.platform

    def client(sub: str, *roles: str) -> ApiClient:
        return ApiClient(platform.api_url, platform.token(sub, *roles))

    admin_url = stack.tenant_cluster.url("postgres")
    async with client("root", "admin") as root, client("grace") as grace, \
            client("ada") as ada, client("linus") as linus:
        conn = await asyncpg.connect(admin_url)
        await conn.execute("CREATE ROLE tenant_initech")  # not marked as any tenant's
        await conn.close()
        failed = await grace.create("initech", "Initech", plan="pro")
        await root.wait_status(failed["id"], "Failed")
        actives = [await ada.create("acme", "Acme Corporation", plan="enterprise"),
                   await grace.create("globex", "Globex", plan="pro"),
                   await linus.create("soylent", "Soylent Foods")]
        for tenant in actives:
            await root.wait_status(tenant["id"], "Active", timeout=60)
        held = await asyncpg.connect(stack.tenant_cluster.url("template1"))
        waiting = await linus.create("wayne", "Wayne Enterprises")

        async def retrying() -> bool:
            return bool((await root.get(waiting["id"]))["retry_at"])

        await wait_until(retrying, timeout=30)
        await held.close()
        cancelled = await ada.create("dharma", "Dharma Initiative")
        response = await ada.http.post(f"/api/v1/tenants/{cancelled['id']}/cancel")
        assert response.status_code == 202, response.text
        await root.wait_status(cancelled["id"], "Cancelled")


async def capture(stack: BrowserStack, output: Path) -> None:
    platform = stack.platform
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1440, "height": 900},
                                            device_scale_factor=1)
        spa = await Spa.open(context, platform.api_url)
        await spa.sign_in_with_dev_token("root", admin=True)
        await spa.page.get_by_role("link", name="Operations").click()
        async with ApiClient(platform.api_url, platform.token("ada")) as ada:
            for slug in LOAD:
                await ada.create(slug)
                await asyncio.sleep(0.6)  # spread over the stages
        in_progress = spa.page.locator(".ops-in-progress tr[data-tenant-id]")
        await expect(in_progress).to_have_count(len(LOAD), timeout=30_000)
        await expect(spa.page.locator(".ops-stages tr[data-stage='verifying'] td").nth(1)
                     ).not_to_have_text("0", timeout=30_000)
        await spa.page.mouse.move(0, 0)
        await spa.page.screenshot(path=str(output), full_page=True)
        await browser.close()
    print(f"wrote {output}")


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    with browser_stack(extra_env=SCENE_ENV) as stack:
        asyncio.run(set_scene(stack))
        asyncio.run(capture(stack, output))


if __name__ == "__main__":
    main()
