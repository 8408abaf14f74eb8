"""A whole round run by role in Chromium (issue 21, "done when"): a support organisation's bid with a
draft and an amendment; after the deadline a clarification asked by the commissioner and answered by
the bidder on its Bids page; panel scoring; the chair's moderation (a chosen score, checked, then
confirmed, with a reason for the bidder); the lock; the summaries issued once and the bidder's
download; and a support organisation's quarterly return queried by the commissioner and sent again.

Each step is a function taking the page and the app's address; it signs in at its start and
reloads the page (the session survives: it lives in the store, the browser holds only its cookie). The app's clock is ``COMMISSIONING_NOW``: one server inside
the bidding window, then one after the deadline, on the same store. The panel member's assignment
is made in the store between the two (Panel set-up has its own tests)."""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
from contextlib import contextmanager

import pytest
from harness import VIEWPORT, launch, require_browser, streamlit_server, wait_idle

from commissioning import auth
from commissioning.procurement.rules import load_rules
from commissioning.store import open_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "whole-round-browser-password"   # throwaway accounts in a temporary database
OPEN = "2027-05-01T10:00:00+01:00"
AFTER = "2027-06-07T10:00:00+01:00"         # bids closed at the end of 4 June
RULES = load_rules()
ORG = "Acme Women's Aid (fictional)"

require_browser()

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    """A commissioner, a chair, a panel member, two support organisations; the round published on
    10 January 2027 (bids invited from 20 April, closing at the end of 4 June); Birch's bid in."""
    tmp = tmp_path_factory.mktemp("whole_round")
    db = tmp / "app.sqlite"
    store = open_store(db)
    auth.create_user(store, "admin", "commissioner", PASSWORD)
    auth.create_user(store, "chair", "chair", PASSWORD)
    auth.create_user(store, "pat", "panel", PASSWORD)
    auth.create_user(store, "acme", "provider", PASSWORD, organisation=ORG)
    auth.create_user(store, "birch", "provider", PASSWORD, organisation="Birch Trust (fictional)")
    rid = store.publish_round("admin", "Victim support 2027", RULES, now=dt.datetime(2027, 1, 10, tzinfo=dt.UTC))
    store.submit_bid("birch", rid, lot="West", price=280000, partners=[], areas="E09000012:1",
                     gates={g.id: "pass" for g in RULES.gates},
                     answers={c.id: f"Birch's answer to {c.id}." for c in RULES.panel_criteria},
                     now=dt.datetime.fromisoformat(OPEN))
    store.close()
    return db


@contextmanager
def app_at(db, now: str, log):
    env = {"COMMISSIONING_DB": str(db), "COMMISSIONING_NOW": now, "COMMISSIONING_ADMIN_USER": "",
           "COMMISSIONING_ADMIN_PASSWORD": ""}
    with streamlit_server("serve.py", env, log) as (url, _):
        yield url


def sign_in(page, url: str, username: str) -> None:
    page.goto(url)
    wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Username").fill(username)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Log in").click()
    expect(sidebar.get_by_text(f"Signed in as {username}")).to_be_visible()
    wait_idle(page)
    # A reload at every step: the session lives in the store and the browser holds only its cookie.
    page.reload()
    wait_idle(page)
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {username}")).to_be_visible()


def sign_out(page) -> None:
    page.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
    wait_idle(page)


def go_to(page, link: str, heading: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    wait_idle(page)


def type_into(locator, text: str) -> None:
    expect(locator).to_have_count(1)          # not while a rerun still shows the last run's copy
    locator.fill(text)
    locator.press("Tab")
    wait_idle(locator.page)


def choose(page, selectbox, option: str) -> None:
    selectbox.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page, settle_ms=800)


def form_of(page, text: str):
    return page.get_by_test_id("stForm").filter(has_text=text)


def status(db, sql: str):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


# -- the steps ----------------------------------------------------------------------------------

def bid_with_a_draft_and_an_amendment(page, url, db) -> None:
    sign_in(page, url, "acme")
    expect(page.get_by_role("heading", name="Submit a bid", exact=True)).to_be_visible()
    type_into(page.get_by_label("Price a year (£)"), "310000")
    type_into(page.get_by_label("Your answer to Q1 (at most 500 words)"), "Advocates in every borough of the lot.")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text("Draft saved 1 May 2027, 10:00 (London time)")).to_be_visible()
    wait_idle(page)
    sign_out(page)

    sign_in(page, url, "acme")                        # the draft comes back in a new session
    expect(page.get_by_text(re.compile(r"Your draft, saved 1 May 2027"))).to_be_visible()
    expect(page.get_by_label("Your answer to Q1 (at most 500 words)")).to_have_value(
        "Advocates in every borough of the lot.")
    type_into(page.get_by_label("Areas served", exact=False), "E09000012:2;Newham:1")
    for gate in RULES.gates:
        page.get_by_text(f"We meet: {gate.title}").click()
        wait_idle(page)
    for c in RULES.panel_criteria[1:]:
        type_into(page.get_by_label(f"Your answer to {c.id} (at most 500 words)"), f"Acme's answer to {c.id}.")
    page.get_by_role("button", name="Submit the bid").click()
    expect(page.get_by_text("Bid R1-002 submitted for lot West.", exact=False)).to_be_visible()
    wait_idle(page)

    amend = page.get_by_test_id("stExpander").filter(has_text="Read or amend this bid")
    amend.get_by_text("Read or amend this bid").click()
    type_into(amend.get_by_label("Price a year (£)"), "295000")
    amend.get_by_role("button", name="Send the amended bid").click()
    expect(page.get_by_text("Bid R1-002 amended: version 2", exact=False)).to_be_visible()
    wait_idle(page)
    assert status(db, "select version, action from bid_versions where bid_ref = 'R1-002' order by version") == [
        (1, "submit"), (2, "amend")]
    assert status(db, "select price from bids where bid_ref = 'R1-002'") == [(295000.0,)]
    sign_out(page)


def clarification_exchange(page, url, db) -> None:
    sign_in(page, url, "admin")
    go_to(page, "Rounds", "Rounds")
    ask = form_of(page, "Question to the bidder")
    choose(page, ask.get_by_test_id("stSelectbox").first, "R1-002")
    ask.get_by_label("Question to the bidder", exact=False).fill("How many advisers does £295,000 pay for?")
    ask.get_by_role("button", name="Send the question").click()
    expect(page.get_by_text("Question sent to the bidder of R1-002", exact=False)).to_be_visible()
    wait_idle(page)
    sign_out(page)

    sign_in(page, url, "acme")
    expect(page.get_by_text("How many advisers does £295,000 pay for?")).to_be_visible()
    type_into(page.get_by_label("Your answer"), "Five full-time advisers; the costing is in appendix D.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Your answer about bid R1-002 was sent.")).to_be_visible()
    wait_idle(page)
    assert status(db, "select c.answer, u.username from clarifications c join users u on u.id = c.recorded_by") == [
        ("Five full-time advisers; the costing is in appendix D.", "acme")]
    sign_out(page)


def panel_scoring(page, url, db) -> None:
    sign_in(page, url, "pat")
    expect(page.get_by_role("heading", name="Scoring", exact=True)).to_be_visible()
    for bid in ("R1-001", "R1-002"):
        expect(page.get_by_role("heading", name=re.compile(f"^{bid}:"))).to_be_visible()
        for c in RULES.panel_criteria:
            mark = 4 if bid == "R1-002" else 3
            page.get_by_role("radiogroup", name=f"Score for {c.id}").get_by_text(
                f"{mark} {RULES.scale.descriptors[mark]}", exact=True).click()
            wait_idle(page)
            type_into(page.get_by_label(f"Reason for your {c.id} score (required)"), f"pat on {bid} {c.id}: evidence")
        page.get_by_role("button", name="Save my scores").click()
        expect(page.get_by_text(f"Saved 9 scores for {bid}.")).to_be_visible()
        wait_idle(page)
        if bid == "R1-001":
            page.get_by_role("button", name="Next bid").click()
            wait_idle(page)
    assert status(db, "select count(*) from scores") == [(18,)]
    sign_out(page)


def open_moderation(page, url, db) -> None:
    sign_in(page, url, "admin")
    go_to(page, "Moderation", "Moderation and ranking")
    page.get_by_role("button", name="Open moderation").click()
    wait_idle(page)
    expect(page.get_by_text("2 Moderation", exact=True)).to_be_visible()
    sign_out(page)


def moderation(page, url, db) -> None:
    sign_in(page, url, "chair")
    go_to(page, "Moderation", "Moderation and ranking")
    expect(page.get_by_role("heading", name="Record a moderated score")).to_be_visible()
    # beside the form: the bid's answer and the panel's score with its comment (R1-001, Q1 first)
    expect(page.get_by_text("Birch's answer to Q1.")).to_be_visible()
    expect(page.get_by_text("pat on R1-001 Q1: evidence").first).to_be_visible()
    form = form_of(page, "Moderated score")
    form.get_by_label("Note for the panel's record", exact=False).fill("Agreed after the panel call on 8 June")
    form.get_by_label("Reason for the bidder", exact=False).fill("The answer shows strong local partnerships")
    form.get_by_role("button", name="Check before recording").click()
    expect(page.get_by_text("Choose the moderated score: there is no default.")).to_be_visible()
    wait_idle(page)
    assert status(db, "select count(*) from moderation") == [(0,)]
    type_into(form.get_by_label("Moderated score (choose one: there is no default)"), "4")
    form.get_by_role("button", name="Check before recording").click()
    expect(page.get_by_text("The bidder will read: “The answer shows strong local partnerships”")).to_be_visible()
    page.get_by_role("button", name="Yes, record it").click()
    expect(page.get_by_text("Moderated score 4 recorded for R1-001 Q1.")).to_be_visible()
    wait_idle(page)
    assert status(db, "select score, note, reason from moderation") == [
        (4.0, "Agreed after the panel call on 8 June", "The answer shows strong local partnerships")]
    sign_out(page)


def lock(page, url, db) -> None:
    sign_in(page, url, "admin")
    go_to(page, "Moderation", "Moderation and ranking")
    page.get_by_role("button", name="Lock the round").click()
    wait_idle(page)
    page.get_by_role("button", name="Yes, lock it").click()
    expect(page.get_by_text("3 Locked", exact=True)).to_be_visible()
    wait_idle(page)
    assert status(db, "select state from rounds") == [("locked",)]
    sign_out(page)


def issued_summaries(page, url, db) -> None:
    from pypdf import PdfReader

    sign_in(page, url, "admin")
    go_to(page, "Rounds", "Rounds")
    expect(page.get_by_text("With this notice date the standstill runs from 08 June 2027 to the end of "
                            "17 June 2027.")).to_be_visible()
    page.get_by_text("Issuing is final", exact=False).click()
    wait_idle(page)
    page.get_by_role("button", name="Issue the assessment summaries").click()
    expect(page.get_by_text("Issued to every bidder with notice date 07 June 2027.", exact=False)).to_be_visible()
    wait_idle(page)
    assert status(db, "select summaries_notice from rounds") == [("2027-06-07",)]
    sign_out(page)

    sign_in(page, url, "acme")
    with page.expect_download() as download:
        page.get_by_role("button", name="Assessment summary for R1-002 (PDF)").click()
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "issued to every bidder on 7 June 2027" in text and "8 June 2027 to the end of 17 June 2027" in text
    assert "Your bid: R1-002" in text and "Birch" not in text      # the winner: no other bid is shown
    sign_out(page)


def quarterly_return_queried_and_sent_again(page, url, db, tmp_path) -> None:
    from commissioning.web.returnsdata import quarter_just_ended

    quarter = quarter_just_ended()          # what the Returns page offers first

    def send(capacity: str) -> None:
        go_to(page, "Quarterly returns", "Quarterly returns")
        csv_file = tmp_path / "return.csv"
        csv_file.write_text("provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,"
                            "waiting_days_median,clients_surveyed,clients_satisfied\n"
                            f"\"{ORG}\",idva,{quarter},Hackney,{capacity},60,6,40,5,20,17\n", encoding="utf-8")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator("input[type=file]").set_input_files(str(csv_file))
        wait_idle(page)
        page.get_by_role("button", name="Send this file").click()
        expect(page.get_by_text(f"Your return for {quarter} was sent", exact=False)).to_be_visible()
        wait_idle(page)

    sign_in(page, url, "acme")
    send("25")
    sign_out(page)

    sign_in(page, url, "admin")
    go_to(page, "Returns review", "Returns review")
    choose(page, page.get_by_test_id("stSelectbox").nth(1), ORG)
    type_into(page.get_by_label("Query note (the provider sees it)"), "25 FTE in Hackney looks like 2.5: please check")
    page.get_by_role("button", name="Query this return").click()
    expect(page.get_by_text(f"Queried: {ORG}, {quarter}.", exact=False)).to_be_visible()
    wait_idle(page)
    sign_out(page)

    sign_in(page, url, "acme")
    go_to(page, "Quarterly returns", "Quarterly returns")
    expect(page.get_by_text("25 FTE in Hackney looks like 2.5: please check").first).to_be_visible()
    send("2.5")
    assert status(db, f"select r.status, w.capacity from returns r join return_rows w on w.return_id = r.id "
                      f"where r.quarter = '{quarter}' and r.organisation = \"{ORG}\"") == [("submitted", 2.5)]
    sign_out(page)


AFTER_THE_DEADLINE = [clarification_exchange, panel_scoring, open_moderation, moderation, lock, issued_summaries]


def test_a_whole_round_by_role(store_path, tmp_path):
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        with app_at(store_path, OPEN, tmp_path / "open.log") as url:
            bid_with_a_draft_and_an_amendment(page, url, store_path)
        store = open_store(store_path)
        store.bulk_assign("admin", 1, ["pat"], now=dt.datetime.fromisoformat(AFTER))
        store.close()
        with app_at(store_path, AFTER, tmp_path / "after.log") as url:
            for step in AFTER_THE_DEADLINE:
                step(page, url, store_path)
            quarterly_return_queried_and_sent_again(page, url, store_path, tmp_path)
        browser.close()
