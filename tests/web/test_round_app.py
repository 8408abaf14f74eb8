"""The round lifecycle through the app (AppTest): a commissioner creates a round from a rules file, a
support organisation submits a sealed bid with its answers (word counts, its own bids only), the
commissioner sees only that it arrived, then after the deadline assigns the lot in bulk and sees
progress; a panel member scores with the answer beside each criterion, drafts survive a new session,
and "Next bid" moves on."""

from __future__ import annotations

import sys

import pytest
from streamlit.testing.v1 import AppTest
from test_app import PASSWORD, app, login, no_exception, page_text

from commissioning import auth
from commissioning.procurement.rules import load_rules
from commissioning.store import open_store

TIMEOUT = 60
RULES = load_rules()
OPEN = "2027-05-01T10:00:00+01:00"
AFTER = "2027-06-05T10:00:00+01:00"
ANSWER_Q1 = "We reach Deaf survivors through BSL video advocacy **within 24 hours** <b>always</b>."


@pytest.fixture(autouse=True)
def _keep_main_module():
    """AppTest runs a page as ``__main__`` and leaves it in ``sys.modules``; a later test that spawns
    processes (the store's concurrency tests) would re-run that page in each child. Put it back."""
    main = sys.modules.get("__main__")
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def store(tmp_path, monkeypatch):
    import datetime as dt

    location = tmp_path / "round_app.sqlite"
    monkeypatch.setenv("COMMISSIONING_DB", str(location))
    monkeypatch.delenv("COMMISSIONING_ADMIN_USER", raising=False)
    monkeypatch.delenv("COMMISSIONING_ADMIN_PASSWORD", raising=False)
    store = open_store(location)
    auth.create_user(store, "boss", "commissioner", PASSWORD)
    for name in ("pat", "sam"):
        auth.create_user(store, name, "panel", PASSWORD)
    store.add_member("boss", "acme", role="provider", organisation="Acme Women's Aid (fictional)",
                     password=PASSWORD)
    store.add_member("boss", "birch", role="provider", organisation="Birch Trust (fictional)", password=PASSWORD)
    rid = store.publish_round("boss", "Victim support 2027", RULES,
                              now=dt.datetime(2027, 1, 10, tzinfo=dt.UTC))
    store.add_lot("boss", rid, "North")
    store.round_id = rid
    yield store
    store.close()


def page(name: str, user: auth.User) -> AppTest:
    at = AppTest.from_file(f"../../app_pages/{name}.py", default_timeout=TIMEOUT)
    at.session_state["user"] = user
    return at.run()


def fill_bid(at: AppTest, answer_q1: str = ANSWER_Q1) -> AppTest:
    at.selectbox(key="bid_lot").set_value("North")
    # the price is asked for on the round's price basis (annual in these rules), with what to quote
    assert at.number_input(key="bid_price").label == f"Price {RULES.price_words()} (£)" == "Price a year (£)"
    assert any(RULES.price_instruction() in c.value.replace("\\", "") for c in at.caption)
    at.number_input(key="bid_price").set_value(310000.0)
    at.text_area(key="bid_partners").input("Cedar by-and-for Collective (fictional)")
    at.text_input(key="bid_areas").input("E09000012:2;Newham:1")
    for gate in RULES.gates:
        at.checkbox(key=f"bid_gate_{gate.id}").check()
    for c in RULES.panel_criteria:
        at.text_area(key=f"bid_answer_{c.id}").input(answer_q1 if c.id == "Q1" else f"Our answer to {c.id}.")
    return at.run()


def test_provider_submits_a_sealed_bid_and_sees_only_its_own(store, monkeypatch):
    monkeypatch.setenv("COMMISSIONING_NOW", OPEN)
    at = login(app().run(), "acme")
    no_exception(at)
    assert [t.value for t in at.title] == ["Bids"]                       # a provider's home page
    assert auth.allowed_pages("provider") == ["priorities", "satisfaction", "performance", "bids", "returns"]

    acme = auth.User("acme", "provider", organisation="Acme Women's Aid (fictional)")
    at = fill_bid(page("bids", acme), answer_q1="word " * 501)
    assert any("501 of 500 words — over the limit" in c.value for c in at.caption)
    assert at.button[0].disabled                                            # submit refused while over
    at = fill_bid(at)
    assert any(c.value == "12 of 500 words" for c in at.caption)
    at.button[0].click().run()
    no_exception(at)
    assert not at.error and any("Bid R1-001 submitted for lot North" in s.value for s in at.success)
    assert store.my_bids("acme")["partners"].tolist() == ["Cedar by-and-for Collective (fictional)"]

    other = page("bids", auth.User("birch", "provider", organisation="Birch Trust (fictional)"))
    assert "R1-001" not in page_text(other) and "Acme" not in page_text(other)

    boss = page("rounds", auth.User("boss", "commissioner"))
    no_exception(boss)
    text = page_text(boss)
    assert "R1-001" in text and "sealed" in text
    assert "Acme" not in text and "Cedar" not in text and "310000" not in text and "BSL" not in text
    panel = page("panel_setup", auth.User("boss", "commissioner"))
    assert "Acme" not in page_text(panel)


def test_after_the_deadline_bulk_assignment_scoring_beside_answers_and_drafts(store, monkeypatch):
    import datetime as dt

    open_time = dt.datetime.fromisoformat(OPEN)
    for who in ("acme", "birch"):
        store.submit_bid(who, store.round_id, lot="North", price=300000, partners=[], areas="E09000012:1",
                         gates={g.id: "pass" for g in RULES.gates},
                         answers={c.id: (ANSWER_Q1 if c.id == "Q1" else f"{who} answer {c.id}")
                                  for c in RULES.panel_criteria}, now=open_time)
    store.declare_conflict("sam", "birch trust (FICTIONAL)", "former employee")
    monkeypatch.setenv("COMMISSIONING_NOW", AFTER)

    boss = page("panel_setup", auth.User("boss", "commissioner"))
    boss.selectbox(key="panel_round").set_value(store.round_id).run()
    boss.selectbox(key="bulk_lot").set_value("North")
    boss.multiselect(key="bulk_members").set_value(["pat", "sam"]).run()
    boss.button(key="bulk_assign").click().run()
    no_exception(boss)
    assert any("3 assignments in place; not assigned for a conflict: sam / R1-002" in s.value for s in boss.success)
    progress = boss.dataframe[1].value.set_index("Member")
    assert progress.loc["pat", "Bids assigned"] == 2 and progress.loc["sam", "Bids assigned"] == 1

    pat = page("scoring", auth.User("pat", "panel"))
    no_exception(pat)
    first = store.bid_key(store.round_id, "R1-001")
    pat.selectbox(key="scoring_bid").set_value(first).run()
    texts = [t.value for t in pat.text]
    assert ANSWER_Q1 in texts                      # shown as plain text: no Markdown or HTML applied
    assert "acme answer Q2" in texts and not any("birch answer" in t for t in texts)
    assert any(RULES.criterion("Q3").guidance[:40] in m.value for m in pat.markdown)
    assert any("0 Unacceptable · 1 Poor" in c.value for c in pat.caption)
    pat.radio(key=f"score_{first}_Q1").set_value(4).run()
    pat.text_area(key=f"comment_{first}_Q1").input("Clear BSL offer, half-written").run()
    assert store.drafts("pat", first) == {"Q1": (4.0, "Clear BSL offer, half-written")}
    # a reload (a new session) loses nothing
    again = page("scoring", auth.User("pat", "panel"))
    again.selectbox(key="scoring_bid").set_value(first).run()
    assert again.radio(key=f"score_{first}_Q1").value == 4
    assert again.text_area(key=f"comment_{first}_Q1").value == "Clear BSL offer, half-written"
    again.button(key=f"save_scores_{first}").click().run()
    assert store.my_scores("pat")[["bid_id", "criterion", "score"]].values.tolist() == [["R1-001", "Q1", 4.0]]
    assert store.drafts("pat", first) == {}
    again.button(key="scoring_next_bid").click().run()
    assert again.selectbox(key="scoring_bid").value == store.bid_key(store.round_id, "R1-002")


def test_commissioner_creates_a_round_from_a_rules_file(store, monkeypatch):
    monkeypatch.setenv("COMMISSIONING_NOW", "2027-01-05T09:00:00+00:00")
    at = page("rounds", auth.User("boss", "commissioner"))
    at.text_input(key="round_name").input("Victim support 2027, v2")
    at.selectbox(key="round_rules").set_value("default.yaml")
    at.button(key="round_create").click().run()
    no_exception(at)
    assert not at.error
    created = store.rounds().set_index("name").loc["Victim support 2027, v2", "id"]
    assert store.round_info(int(created))["rules_sha256"] == store.round_info(store.round_id)["rules_sha256"]
    monkeypatch.setenv("COMMISSIONING_NOW", "2027-03-01T09:00:00+00:00")
    at = page("rounds", auth.User("boss", "commissioner"))
    at.text_input(key="round_name").input("Too late")
    at.button(key="round_create").click().run()
    assert any("Too little notice" in e.value for e in at.error)


def test_a_provider_downloads_its_own_assessment_summary_after_the_lock(store, monkeypatch):
    import datetime as dt

    open_time, after = dt.datetime.fromisoformat(OPEN), dt.datetime.fromisoformat(AFTER)
    keys = {}
    for who, price in (("acme", 300000), ("birch", 280000)):
        ref = store.submit_bid(who, store.round_id, lot="North", price=price, partners=[], areas="E09000012:1",
                               gates={g.id: "pass" for g in RULES.gates},
                               answers={c.id: f"{who} answer" for c in RULES.panel_criteria}, now=open_time)
        keys[who] = store.bid_key(store.round_id, ref)
    store.bulk_assign("boss", store.round_id, ["pat", "sam"], now=after)
    for who in ("pat", "sam"):
        store.save_scores(who, [(k, c.id, 4 if k == keys["acme"] else 2, f"{who}: reason")
                                for k in keys.values() for c in RULES.panel_criteria])
    store.open_moderation("boss", store.round_id, now=after)
    store.lock_round("boss", store.round_id)
    monkeypatch.setenv("COMMISSIONING_NOW", AFTER)
    birch = auth.User("birch", "provider", organisation="Birch Trust (fictional)")
    at = page("bids", birch)
    assert not at.download_button and any("follows when the commissioner issues" in i.value for i in at.info)
    # the commissioner issues the summaries once, with one notice date
    boss = page("rounds", auth.User("boss", "commissioner"))
    boss.selectbox(key="rounds_round").set_value(store.round_id).run()
    boss.date_input(key="summaries_notice").set_value(dt.date(2027, 6, 7)).run()
    assert any("runs from 08 June 2027 to the end of 17 June 2027" in c.value for c in boss.caption)
    assert boss.button(key="summaries_issue").disabled                 # until the checkbox is ticked
    boss.checkbox(key="summaries_sure").check().run()
    boss.button(key="summaries_issue").click().run()
    no_exception(boss)
    assert store.summaries_notice(store.round_id) == dt.date(2027, 6, 7)
    assert any("Issued to every bidder with notice date **07 June 2027**" in s.value for s in boss.success)
    at = page("bids", birch)
    no_exception(at)
    labels = [b.label for b in at.download_button]
    assert labels == ["Assessment summary for R1-002 (PDF)", "Assessment summary for R1-002 (HTML)"]


def test_the_bid_form_appears_only_while_bids_are_open_and_a_draft_is_kept(store, monkeypatch):
    monkeypatch.setenv("COMMISSIONING_NOW", "2027-03-01T10:00:00+00:00")
    acme = auth.User("acme", "provider", organisation="Acme Women's Aid (fictional)")
    at = page("bids", acme)
    no_exception(at)
    assert "bid_price" not in [w.key for w in at.number_input]
    assert any("bids are taken from **20 April 2027** until **midnight at the end of 4 June 2027 (London time)**" in i.value for i in at.info)
    monkeypatch.setenv("COMMISSIONING_NOW", OPEN)
    at = fill_bid(page("bids", acme))
    at.button(key="bid_save_draft").click().run()
    no_exception(at)
    assert any(s.value.startswith("Draft saved 1 May 2027, 10:00 (London time)") for s in at.success)
    assert store.my_bids("acme").empty and store.bid_draft("acme", store.round_id)["price"] == 310000.0
    again = page("bids", acme)                     # a new session: the draft fills the form
    assert again.number_input(key="bid_price").value == 310000.0
    assert again.text_area(key="bid_answer_Q1").value == ANSWER_Q1


def test_a_bidder_amends_and_withdraws_with_the_confirmation_beside_the_button(store, monkeypatch):
    monkeypatch.setenv("COMMISSIONING_NOW", OPEN)
    acme = auth.User("acme", "provider", organisation="Acme Women's Aid (fictional)")
    at = fill_bid(page("bids", acme))
    at.button(key="bid_submit").click().run()
    no_exception(at)
    # the confirmation is beside the button; the lot bid for leaves the form, so a second click
    # cannot send it again
    assert any("Bid R1-001 submitted for lot North" in s.value for s in at.success)
    assert "North" not in at.selectbox(key="bid_lot").options
    key = store.bid_key(store.round_id, "R1-001")
    at.number_input(key=f"amend_{key}_price").set_value(295000.0)
    at.button(key=f"amend_send_{key}").click().run()
    no_exception(at)
    assert any("Bid R1-001 amended: version 2" in s.value for s in at.success)
    assert store.my_bids("acme")["price"].tolist() == [295000.0]
    assert store.bid_versions("acme", store.round_id, "R1-001")["price"].tolist() == [310000.0, 295000.0]
    assert at.button(key=f"withdraw_{key}").disabled
    at.checkbox(key=f"withdraw_sure_{key}").check().run()
    at.button(key=f"withdraw_{key}").click().run()
    no_exception(at)
    assert any("Bid R1-001 was withdrawn" in s.value for s in at.success) and store.my_bids("acme").empty


def test_a_question_reaches_the_bidder_who_answers_and_the_answer_is_published_unnamed(store, monkeypatch):
    import datetime as dt

    open_time = dt.datetime.fromisoformat(OPEN)
    for who in ("acme", "birch"):
        store.submit_bid(who, store.round_id, lot="North", price=300000, partners=[], areas="E09000012:1",
                         gates={g.id: "pass" for g in RULES.gates},
                         answers={c.id: f"{who} answer {c.id}" for c in RULES.panel_criteria}, now=open_time)
    monkeypatch.setenv("COMMISSIONING_NOW", AFTER)
    boss = page("rounds", auth.User("boss", "commissioner"))
    boss.selectbox(key="rounds_round").set_value(store.round_id).run()
    # the commissioner reads a bid once unsealed
    boss.selectbox(key="rounds_read_bid").set_value("R1-001").run()
    assert "acme answer Q3" in page_text(boss)
    boss.selectbox(key="clar_bid").set_value("R1-001")
    boss.text_area(key="clar_q").input("May volunteers hold cases?")
    boss.button(key="FormSubmitter:clarify-Send the question").click().run()
    no_exception(boss)
    acme = page("bids", auth.User("acme", "provider", organisation="Acme Women's Aid (fictional)"))
    assert "May volunteers hold cases?" in page_text(acme)
    cid = int(store.my_clarifications("acme")["id"].iloc[0])
    acme.text_area(key=f"clar_answer_{cid}").input("No: accredited advisers hold every case.")
    acme.button(key=f"clar_send_{cid}").click().run()
    no_exception(acme)
    assert any("Your answer about bid R1-001 was sent" in s.value for s in acme.success)
    assert store.clarifications("boss", store.round_id)["answered_by"].tolist() == ["acme"]
    boss = page("rounds", auth.User("boss", "commissioner"))
    boss.selectbox(key="rounds_round").set_value(store.round_id).run()
    boss.button(key="pub_send").click().run()
    no_exception(boss)
    birch = page("bids", auth.User("birch", "provider", organisation="Birch Trust (fictional)"))
    text = page_text(birch)
    assert "No: accredited advisers hold every case." in text and "R1-001" not in text and "Acme" not in text
