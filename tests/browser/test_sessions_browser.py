"""Issue 21 in Chromium: a sign-in survives a reload and opens a deep link in a new tab (the
HttpOnly, SameSite=Strict session cookie set through ``serve.py``); signing out in one tab signs
the other out; a link opened while signed out asks for a sign-in and then shows its page; an
invitation link sets the first password and signs the invitee in."""

from __future__ import annotations

import pytest
from harness import VIEWPORT, launch, require_browser, streamlit_server, wait_idle

from commissioning import auth
from commissioning.store import open_store
from commissioning.store.demo import DEMO_BIDS
from commissioning.web import sessions

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "browser-session-password"

require_browser()

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sessions")
    db = tmp / "app.sqlite"
    store = open_store(db)
    auth.create_user(store, "admin", auth.COMMISSIONER, PASSWORD)
    auth.create_user(store, "pat", auth.PANEL, PASSWORD)
    rid = store.import_round_from_csv("admin", "Spring round", DEMO_BIDS / "bids.csv")
    store.assign("admin", "pat", store.bid_key(rid, "NE-01"))
    store.close()
    env = {"COMMISSIONING_DB": str(db), "COMMISSIONING_ADMIN_USER": "", "COMMISSIONING_ADMIN_PASSWORD": "",
           "COMMISSIONING_DEMO": ""}
    with streamlit_server("serve.py", env, tmp / "streamlit.log") as (url, _):
        yield {"url": url, "db": db}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def login(page, username: str, password: str = PASSWORD) -> None:
    sidebar(page).get_by_role("textbox", name="Username").fill(username)
    sidebar(page).get_by_role("textbox", name="Password").fill(password)
    sidebar(page).get_by_role("button", name="Log in").click()
    expect(sidebar(page).get_by_text(f"Signed in as {username}")).to_be_visible()
    wait_idle(page)


def session_cookie(context) -> dict:
    cookies = [c for c in context.cookies() if c["name"] == sessions.COOKIE]
    assert len(cookies) == 1, context.cookies()
    return cookies[0]


def test_a_sign_in_survives_reloads_and_new_tabs_and_ends_everywhere(served, browser):
    context = browser.new_context(viewport=VIEWPORT)
    first = context.new_page()
    first.set_default_timeout(30_000)
    first.goto(served["url"])
    wait_idle(first)
    login(first, "pat")
    expect(first.get_by_role("heading", name="Scoring")).to_be_visible()
    for _ in range(50):                                # the hand-over fetch sets the cookie
        if any(c["name"] == sessions.COOKIE for c in context.cookies()):
            break
        first.wait_for_timeout(100)
    cookie = session_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert first.evaluate("() => document.cookie").find(sessions.COOKIE) == -1   # scripts cannot read it

    first.reload()
    wait_idle(first)
    expect(sidebar(first).get_by_text("Signed in as pat")).to_be_visible()
    expect(first.get_by_role("heading", name="Scoring")).to_be_visible()

    second = context.new_page()                        # a deep link in a new tab
    second.set_default_timeout(30_000)
    second.goto(served["url"] + "/scoring")
    wait_idle(second)
    expect(sidebar(second).get_by_text("Signed in as pat")).to_be_visible()
    expect(second.get_by_role("heading", name="Scoring")).to_be_visible()

    sidebar(second).get_by_role("button", name="Log out").click()
    expect(sidebar(second).get_by_role("button", name="Log in")).to_be_visible()
    # The first tab, left alone, is signed out by its session check (every 20 seconds).
    expect(sidebar(first).get_by_text("your session has ended")).to_be_visible(timeout=45_000)
    expect(sidebar(first).get_by_role("button", name="Log in")).to_be_visible()
    for _ in range(50):                                # the sign-out route clears the cookie
        if not any(c["name"] == sessions.COOKIE for c in context.cookies()):
            break
        second.wait_for_timeout(100)
    assert not [c for c in context.cookies() if c["name"] == sessions.COOKIE]
    first.reload()
    wait_idle(first)
    expect(sidebar(first).get_by_role("button", name="Log in")).to_be_visible()
    context.close()


def test_a_link_opened_signed_out_asks_for_a_sign_in_then_shows_the_page(served, browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(served["url"] + "/panel_setup")
    wait_idle(page)
    expect(page.get_by_text("Please log in on the left")).to_be_visible()
    login(page, "admin")
    expect(page.get_by_role("heading", name="Panel set-up")).to_be_visible()
    assert page.url.endswith("/panel_setup")
    context.close()


def test_an_invitation_made_in_the_app_leads_to_a_first_sign_in(served, browser):
    boss = browser.new_context(viewport=VIEWPORT)
    page = boss.new_page()
    page.set_default_timeout(30_000)
    page.goto(served["url"] + "/panel_setup")
    wait_idle(page)
    login(page, "admin")
    page.get_by_role("tab", name="Invite someone").click()
    page.get_by_role("textbox", name="Username (no spaces)").fill("sam")
    page.get_by_role("button", name="Create the invitation").click()
    wait_idle(page)
    link = page.get_by_test_id("stCode").inner_text().strip()
    assert link.startswith(served["url"] + "/?invite="), link
    boss.close()

    invitee = browser.new_context(viewport=VIEWPORT)
    page = invitee.new_page()
    page.set_default_timeout(30_000)
    page.goto(link)
    wait_idle(page)
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    expect(page.get_by_text("Your username is sam")).to_be_visible()
    page.get_by_role("textbox", name="Password", exact=True).fill("first-sign-in-passphrase")
    page.get_by_role("textbox", name="Password again").fill("first-sign-in-passphrase")
    page.get_by_role("button", name="Set password and log in").click()
    expect(sidebar(page).get_by_text("Signed in as sam")).to_be_visible()
    wait_idle(page)
    assert "invite=" not in page.url
    page.reload()                                     # the new session lasts
    wait_idle(page)
    expect(sidebar(page).get_by_text("Signed in as sam")).to_be_visible()
    page.goto(link)                                   # the link works once
    wait_idle(page)
    expect(sidebar(page).get_by_text("Signed in as sam")).to_be_visible()
    invitee.close()


def test_a_reload_on_scoring_loses_nothing(served, browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(served["url"] + "/scoring")
    wait_idle(page)
    login(page, "pat")
    reason = page.get_by_label("Reason for your Q1 score (required)")
    page.get_by_role("radiogroup", name="Score for Q1").get_by_text("3 Good", exact=True).click()
    wait_idle(page)
    reason.fill("Half-written: strong local links, thin on evidence")
    reason.press("Tab")                               # leaving the box keeps the draft in the store
    wait_idle(page)
    page.reload()
    wait_idle(page)
    expect(sidebar(page).get_by_text("Signed in as pat")).to_be_visible()
    expect(page.get_by_label("Reason for your Q1 score (required)")).to_have_value(
        "Half-written: strong local links, thin on evidence")
    expect(page.get_by_role("radiogroup", name="Score for Q1").get_by_role("radio", name="3 Good")).to_be_checked()
    context.close()
