"""Drives the SPA in Chromium the way a person does: labels, buttons and visible text."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Locator, Page, expect

# Debian's Chromium; Playwright never downloads a browser of its own here.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
]

ROW_TRACE = (Path(__file__).parent / "row_trace.js").read_text()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Spa:
    def __init__(self, page: Page) -> None:
        self.page = page
        # Shown by pytest when a test fails: what the page itself complained about.
        page.on("console", lambda m: print(f"[console.{m.type}] {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: print(f"[pageerror] {e}"))

    @classmethod
    async def open(cls, context: BrowserContext, api_url: str) -> Spa:
        page = await context.new_page()
        spa = cls(page)
        await page.add_init_script(ROW_TRACE)
        await page.goto(f"{api_url}/")
        # A marker that only survives as long as the page is never reloaded.
        await page.evaluate("window.__sameDocument = true")
        return spa

    async def sign_in_with_token(self, token: str, sub: str) -> None:
        await self.page.get_by_label("Paste a token").fill(token)
        await self.page.get_by_role("button", name="Sign in with this token").click()
        await self.expect_signed_in(sub)

    async def sign_in_with_dev_token(self, sub: str, admin: bool = False) -> None:
        form = self.page.locator("#dev-token-form")
        await form.get_by_label("User name").fill(sub)
        if admin:
            await form.get_by_label("Admin").check()
        await form.get_by_role("button", name="Get a dev token").click()
        await self.expect_signed_in(sub)

    async def expect_signed_in(self, sub: str) -> None:
        await expect(self.page.locator("#whoami-name")).to_have_text(sub)
        await self.expect_connection("Live")

    async def expect_connection(self, word: str, timeout: float = 20_000) -> None:
        indicator = self.page.locator("#connection .conn-text")
        await expect(indicator).to_have_text(word, timeout=timeout)

    def row(self, slug: str) -> Locator:
        return self.page.locator(f'tr[data-slug="{slug}"]')

    async def expect_status(self, slug: str, status: str, timeout: float = 20_000) -> None:
        await expect(self.row(slug).locator(".badge-text")).to_have_text(status, timeout=timeout)

    async def fill_create_form(self, name: str, slug: str, email: str, plan: str = "free") -> None:
        form = self.page.locator("#create-form")
        await form.get_by_label("Name").fill(name)
        await form.get_by_label("Slug").fill(slug)
        await form.get_by_label("Plan").select_option(plan)
        await form.get_by_label("First admin's email").fill(email)

    async def create(self, name: str, slug: str, email: str = "ada@example.com",
                     plan: str = "free") -> None:
        await self.fill_create_form(name, slug, email, plan)
        await self.page.get_by_role("button", name="Create tenant").click()
        await expect(self.row(slug)).to_have_count(1)

    async def trace(self, slug: str) -> list[dict[str, Any]]:
        states = await self.page.evaluate("slug => window.__rowTrace[slug] ?? []", slug)
        return [{k: v for k, v in state.items() if k != "key"} for state in states]

    async def statuses_seen(self, slug: str) -> list[str]:
        seen: list[str] = []
        for state in await self.trace(slug):
            if not seen or seen[-1] != state["status"]:
                seen.append(state["status"])
        return seen

    async def rows(self) -> dict[str, dict[str, str]]:
        raw = await self.page.evaluate(
            """() => JSON.stringify([...document.querySelectorAll("tr[data-slug]")].map(r => ({
                 slug: r.dataset.slug, id: r.dataset.tenantId, status: r.dataset.status,
                 version: r.dataset.version, owner: r.querySelector(".owner").textContent})))""")
        return {row["slug"]: row for row in json.loads(raw)}

    async def never_reloaded(self) -> bool:
        return bool(await self.page.evaluate("window.__sameDocument === true"))
