"""Real-browser test: ``streamlit run app.py`` on a free local port (the ``server`` fixture in
conftest.py), driven by Debian's headless Chromium through Playwright.

It opens the public page, logs in as a panel member, scores a bid, checks the score is in the
SQLite store (reopened from here), then visits the commissioner's pages. Screenshots go to
``artifacts/screenshots/`` (test artefacts), and to ``docs/screenshots/`` (for the README) when
``COMMISSIONING_UPDATE_SCREENSHOTS=1``.

Skipped when /usr/bin/chromium or Playwright is missing, unless ``COMMISSIONING_REQUIRE_BROWSER=1``
(as in CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
from conftest import PASSWORD
from harness import REPO, VIEWPORT, launch, require_browser, wait_idle

pytestmark = pytest.mark.browser

# The README's pictures are refreshed only when asked (COMMISSIONING_UPDATE_SCREENSHOTS=1), so a test
# run does not change tracked files.
SHOTS = [REPO / "artifacts" / "screenshots"] + (
    [REPO / "docs" / "screenshots"] if os.environ.get("COMMISSIONING_UPDATE_SCREENSHOTS") == "1" else [])

require_browser()

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        context.close()
        browser.close()


def shot(page, name: str) -> None:
    page.wait_for_timeout(600)   # let charts finish drawing
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS[0] / f"{name}.png"))
    for copy in SHOTS[1:]:
        shutil.copyfile(SHOTS[0] / f"{name}.png", copy / f"{name}.png")


def login(page, username: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Username").fill(username)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Log in").click()
    expect(sidebar.get_by_text(f"Signed in as {username}")).to_be_visible()
    wait_idle(page)


def logout(page) -> None:
    page.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Published priorities")).to_be_visible()
    wait_idle(page)


def test_public_page_then_panel_scores_a_bid(server, page):
    page.goto(server["url"])
    expect(page.get_by_role("heading", name="Published priorities")).to_be_visible()
    wait_idle(page)
    body = page.locator("body").inner_text()
    assert "NE-01" not in body and "(fictional)" not in body
    assert "Log in" in body
    shot(page, "priorities")

    login(page, "pat")
    expect(page.get_by_role("heading", name="Scoring", exact=True)).to_be_visible()
    q1 = page.get_by_role("radiogroup", name="Score for Q1")
    q1.get_by_text("3 Good", exact=True).click()
    page.get_by_label("Reason for your Q1 score (required)").fill("Clear local evidence; names the groups")
    page.get_by_role("button", name="Save my scores").click()
    expect(page.get_by_text("Saved 1 score for NE-01.")).to_be_visible()
    wait_idle(page)
    page.get_by_role("heading", name="Scoring", exact=True).scroll_into_view_if_needed()
    shot(page, "scoring")

    with sqlite3.connect(server["db"]) as db:
        rows = db.execute(
            "select b.bid_ref, s.criterion, s.score, s.comment from scores s "
            "join users u on u.id = s.user_id join bids b on b.id = s.bid_id "
            "join rounds r on r.id = b.round_id where u.username = 'pat' and r.name = 'Spring round'").fetchall()
    assert rows == [("NE-01", "Q1", 3.0, "Clear local evidence; names the groups")]
    logout(page)


def test_commissioner_pages(server, page):
    page.goto(server["url"])
    wait_idle(page)
    login(page, "admin")
    expect(page.get_by_role("heading", name="Coverage")).to_be_visible()
    expect(page.locator("canvas").first).to_be_visible()
    wait_idle(page)
    shot(page, "coverage")

    page.get_by_test_id("stSidebarNav").get_by_text("Lots and scenarios").click()
    expect(page.get_by_role("heading", name="Lots and scenarios")).to_be_visible()
    expect(page.locator("canvas").first).to_be_visible()
    wait_idle(page)
    shot(page, "lots")

    page.get_by_test_id("stSidebarNav").get_by_text("Moderation and ranking").click()
    expect(page.get_by_role("heading", name="Moderation and ranking")).to_be_visible()
    page.get_by_test_id("stSelectbox").filter(has_text="Round").click()
    page.get_by_role("option", name="Example round (illustrative)").click()
    wait_idle(page)
    expect(page.get_by_text("disagreements only")).to_be_visible()
    shot(page, "moderation")
    page.get_by_role("tab", name="Ranking").click()
    expect(page.get_by_role("heading", name="Lot North East")).to_be_visible()
    wait_idle(page)
    shot(page, "ranking")

    page.get_by_test_id("stSidebarNav").get_by_text("Exports").click()
    expect(page.get_by_role("heading", name="Exports")).to_be_visible()
    page.get_by_role("button", name="Build published priorities PDF").click()
    # The build includes the demand forecasts: about a minute on a loaded 2-core machine.
    expect(page.get_by_role("button", name="Download published priorities PDF")).to_be_visible(timeout=180_000)
    wait_idle(page)
    shot(page, "exports")
    logout(page)
