"""Headless Chromium from Debian, driven by Playwright, for the page tests; their screenshots
go to ARTEFACTS."""

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Page, async_playwright

ARTEFACTS = Path(__file__).resolve().parents[2] / ".cache" / "artefacts"


@contextlib.asynccontextmanager
async def browser_page(width: int, height: int, timeout_ms: int) -> AsyncIterator[Page]:
    """A fresh page of a headless Chromium, closed on exit."""
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not installed: run `make setup` (scripts/setup-chromium.sh)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(timeout_ms)
            yield page
        finally:
            await browser.close()
