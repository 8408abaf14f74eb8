"""Real-browser test of the quarterly returns: the public Quarterly performance page (logged out), a
support organisation uploading its return, and the commissioner's Returns review approving it.
``streamlit run serve.py`` on a free port with the illustrative demo (COMMISSIONING_DEMO=1) loaded on start, in
Debian's headless Chromium (Playwright). Same skip rules as test_browser.py."""

from __future__ import annotations

import os

import pytest
from harness import REPO, VIEWPORT, launch, require_browser, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

PASSWORD = "a-long-browser-password"   # test accounts only
ORG = "Sahara Sisters (illustrative)"
SHOTS = [REPO / "artifacts" / "screenshots"] + (
    [REPO / "docs" / "screenshots"] if os.environ.get("COMMISSIONING_UPDATE_SCREENSHOTS") == "1" else [])

require_browser()

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """Its own app server: a provider of the example returns (Sahara Sisters) and a commissioner."""
    from commissioning import auth
    from commissioning.store import open_store

    tmp = tmp_path_factory.mktemp("returns_browser")
    store = open_store(tmp / "app.sqlite")
    auth.create_user(store, "boss", "commissioner", PASSWORD)
    auth.create_user(store, "sahara", "provider", PASSWORD, organisation=ORG)
    store.close()
    env = {"COMMISSIONING_DB": str(tmp / "app.sqlite"), "COMMISSIONING_ADMIN_USER": "",
           "COMMISSIONING_ADMIN_PASSWORD": "", "COMMISSIONING_DEMO": "1"}
    with streamlit_server("serve.py", env, tmp / "streamlit.log") as (base, _):
        yield base


def login(page, username: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Username").fill(username)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Log in").click()
    expect(sidebar.get_by_text(f"Signed in as {username}")).to_be_visible()
    wait_idle(page)


def shoot(page, name: str) -> None:
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name))


def test_returns_in_a_browser(url, tmp_path):
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)   # the first run loads the example returns

        # 1. Public, logged out: the quarterly performance page.
        page.goto(f"{url}/performance")
        expect(page.get_by_role("heading", name="Quarterly performance", exact=True)).to_be_visible()
        expect(page.get_by_text("Illustrative data.")).to_be_visible()
        wait_idle(page)
        assert "Log in" in page.locator("body").inner_text()
        page.get_by_role("tab", name="Over time").click()
        expect(page.locator("img[alt^='Line charts by quarter.']").first).to_be_visible()
        shoot(page, "performance.png")

        # 2. A support organisation uploads its return for the quarter just ended.
        login(page, "sahara")                  # a provider lands on Bids; returns are one link away
        page.get_by_test_id("stSidebar").get_by_role("link", name="Quarterly returns").click()
        expect(page.get_by_role("heading", name="Quarterly returns", exact=True)).to_be_visible()
        from commissioning.web.returnsdata import quarter_just_ended

        quarter = quarter_just_ended()          # the page offers the quarter just ended
        csv_file = tmp_path / "return.csv"
        csv_file.write_text("provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,"
                            "waiting_days_median,clients_surveyed,clients_satisfied\n"
                            f"{ORG},idva,{quarter},Hackney,2.5,60,6,40,5,20,17\n", encoding="utf-8")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator("input[type=file]").set_input_files(str(csv_file))
        wait_idle(page)
        page.get_by_role("button", name="Send this file").click()
        expect(page.get_by_text(f"Your return for {quarter} was sent")).to_be_visible()
        shoot(page, "returns.png")
        page.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
        wait_idle(page)

        # 3. The commissioner reviews and approves it.
        login(page, "boss")
        page.get_by_test_id("stSidebar").get_by_role("link", name="Returns review").click()
        expect(page.get_by_role("heading", name="Returns review", exact=True)).to_be_visible()
        expect(page.get_by_text("Due by")).to_be_visible()
        wait_idle(page)
        body = page.locator("body").inner_text()
        assert "awaiting review" in body
        page.get_by_test_id("stSelectbox").nth(1).click()
        page.get_by_role("option", name=ORG).click()
        wait_idle(page)
        page.get_by_role("button", name="Approve this return").click()
        expect(page.get_by_text(f"Approved: {ORG}, {quarter}.")).to_be_visible()
        shoot(page, "returns_review.png")
        browser.close()
