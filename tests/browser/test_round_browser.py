"""Real-browser test of a round's two public-facing forms: a support organisation submits a bid with
its written answers (word counts shown), and a panel member scores with the bidder's answer beside
each criterion, the draft surviving a page reload. The app runs with ``COMMISSIONING_NOW`` inside the
published round's bidding window; "Spring round" (the example bids imported whole, with their
answers, no scores yet) is open to scoring."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from conftest import PASSWORD
from harness import launch, require_browser, streamlit_server, wait_idle

from commissioning import auth
from commissioning.procurement.bid_files import read_answers
from commissioning.procurement.rules import load_rules
from commissioning.store import open_store
from commissioning.web import appdata

pytestmark = pytest.mark.browser
NOW = "2027-05-01T10:00:00+01:00"

require_browser()

from harness import VIEWPORT  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from test_browser import login, shot  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Its own app server (the clock inside the bidding window), not the session's shared one."""
    tmp = tmp_path_factory.mktemp("round_browser")
    db = tmp / "app.sqlite"
    store = open_store(db)
    auth.create_user(store, "admin", "commissioner", PASSWORD)
    auth.create_user(store, "pat", "panel", PASSWORD)
    store.add_member("admin", "acme", role="provider", organisation="Acme Women's Aid (fictional)",
                     password=PASSWORD)
    appdata.first_run(store, env={appdata.DEMO_ENV: "1"})                 # the example round (in moderation: scoring closed)
    spring = store.import_round_from_csv("admin", "Spring round", appdata.EXAMPLE_DIR / "bids.csv")
    store.import_answers("admin", spring, read_answers(appdata.EXAMPLE_DIR / "answers.csv"))
    store.assign("admin", "pat", store.bid_key(spring, "NE-01"))
    rid = store.publish_round("admin", "Victim support 2027", load_rules(),
                              now=dt.datetime(2027, 1, 10, tzinfo=dt.timezone.utc))
    store.add_lot("admin", rid, "North")
    store.close()
    env = {"COMMISSIONING_DB": str(db), "COMMISSIONING_NOW": NOW, "COMMISSIONING_ADMIN_USER": "",
           "COMMISSIONING_ADMIN_PASSWORD": ""}
    with streamlit_server("app.py", env, tmp / "streamlit.log") as (url, _):
        yield {"url": url, "db": db}


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


def test_provider_submits_a_bid(server, page):
    page.goto(server["url"])
    wait_idle(page)
    login(page, "acme")
    expect(page.get_by_role("heading", name="Bids", exact=True)).to_be_visible()
    page.get_by_label("Price a year (£)").fill("310000")
    page.get_by_label("Price a year (£)").press("Enter")
    wait_idle(page)
    page.get_by_label("Areas served", exact=False).fill("E09000012:2;Newham:1")
    page.get_by_label("Areas served", exact=False).press("Enter")
    wait_idle(page)
    for gate in load_rules().gates:
        page.get_by_text(f"We meet: {gate.title}").click()
        wait_idle(page)
    for c in load_rules().panel_criteria:
        box = page.get_by_label(f"Your answer to {c.id} (at most 500 words)")
        box.fill(f"Our answer to {c.id}: advocates in every borough we serve.")
        box.press("Tab")
        wait_idle(page)
    expect(page.get_by_text("10 of 500 words").first).to_be_visible()
    shot(page, "bids")
    page.get_by_role("button", name="Submit the bid").click()
    expect(page.get_by_text("Bid R3-001 submitted for lot West.")).to_be_visible()
    wait_idle(page)
    with sqlite3.connect(server["db"]) as db:
        rows = db.execute("select b.bid_ref, b.organisation, b.price, count(a.id) from bids b "
                          "join bid_answers a on a.bid_id = b.id where b.bid_ref = 'R3-001' "
                          "group by b.id").fetchall()
    assert rows == [("R3-001", "Acme Women's Aid (fictional)", 310000.0, 9)]
    page.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
    wait_idle(page)


def test_panel_scores_beside_the_answer_and_the_draft_survives_a_reload(server, page):
    page.goto(server["url"])
    wait_idle(page)
    login(page, "pat")
    expect(page.get_by_role("heading", name="Scoring", exact=True)).to_be_visible()
    expect(page.get_by_text("Our 3 boroughs (Hackney, Tower Hamlets, Newham)", exact=False).first).to_be_visible()
    q1 = page.get_by_role("radiogroup", name="Score for Q1")
    q1.get_by_text("4 Very good", exact=True).click()
    wait_idle(page)
    reason = page.get_by_label("Reason for your Q1 score (required)")
    reason.fill("Strong local evidence, names the groups")
    reason.press("Tab")
    wait_idle(page)
    shot(page, "scoring_answers")
    page.reload()
    wait_idle(page)
    login(page, "pat")   # a reload starts a new session
    expect(page.get_by_label("Reason for your Q1 score (required)")).to_have_value(
        "Strong local evidence, names the groups")
    expect(page.get_by_role("radiogroup", name="Score for Q1").get_by_role("radio", name="4 Very good")).to_be_checked()
