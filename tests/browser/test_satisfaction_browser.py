"""Real-browser test of the public Victim satisfaction page, opened logged out in Debian's headless
Chromium (Playwright) on the session's shared app server (conftest.py). Same skip rules as
test_browser.py."""

from __future__ import annotations

import os

import pytest
from harness import REPO, VIEWPORT, launch, require_browser

pytestmark = pytest.mark.browser
SHOTS = [REPO / "artifacts" / "screenshots"] + (
    [REPO / "docs" / "screenshots"] if os.environ.get("COMMISSIONING_UPDATE_SCREENSHOTS") == "1" else [])

require_browser()

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def test_public_satisfaction_page_in_a_browser(server):
    url = server["url"]
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{url}/satisfaction")
        expect(page.get_by_role("heading", name="Victim satisfaction", exact=True)).to_be_visible()
        expect(page.get_by_text("79.4% of victims surveyed by the Metropolitan Police")).to_be_visible()
        expect(page.locator("img[alt^='Dot chart of the percentage of victims satisfied']").first).to_be_visible()
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
        body = page.locator("body").inner_text()
        assert "Illustrative data" in body and "Log in" in body
        page.get_by_role("tab", name="Service users (provider returns)").click()
        expect(page.get_by_text("Source: provider returns (service users).")).to_be_visible()
        page.get_by_role("tab", name="London and boroughs").click()
        page.wait_for_timeout(600)
        for folder in SHOTS:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / "satisfaction.png"))
        browser.close()
