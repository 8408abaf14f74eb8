"""A round run with the bidders (issue 21), on SQLite and PostgreSQL: clarifications answered by the
bidder itself, an abnormally low price decided only after that exchange, exchanges of general
interest published without naming the bid; bids amended or withdrawn until the deadline with every
version kept, drafts; moderation with a reason for the bidder apart from the chair's note;
assessment summaries issued once with one notice date."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.procurement.rules import load_rules
from commissioning.publish.summaries import own_summary, round_summaries
from commissioning.store import open_store

REPO = Path(__file__).resolve().parents[2]
RULES = load_rules(REPO / "scoring_rules" / "default.yaml")
UTC = dt.UTC
PUBLISHED = dt.datetime(2027, 1, 10, 9, tzinfo=UTC)
OPEN = dt.datetime(2027, 5, 1, 9, tzinfo=UTC)        # bids invited 20 April 2027
AFTER = dt.datetime(2027, 6, 5, 9, tzinfo=UTC)       # bids closed at the end of 4 June (London)
GATES = {"safeguarding": "pass", "data_protection": "pass", "insurance": "pass"}
ANSWERS = {c.id: f"Our answer to {c.id}." for c in RULES.panel_criteria}
PROVIDERS = {"acme": "Acme Women's Aid", "birch": "Birch Trust", "cedar": "Cedar Collective"}


@pytest.fixture
def rnd(db_url):
    store = open_store(db_url)
    store.create_user("boss", "lantern orbit meadow 42", role="commissioner")
    store.add_member("boss", "p1", role="panel")
    store.add_member("boss", "chair", role="chair")
    for name, organisation in PROVIDERS.items():
        store.add_member("boss", name, role="provider", organisation=organisation)
    rid = store.publish_round("boss", "Round", RULES, now=PUBLISHED)
    store.add_lot("boss", rid, "North")
    yield store, rid
    store.close()


def submit(store, rid, who, price, now=OPEN):
    return store.bid_key(rid, store.submit_bid(who, rid, lot="North", price=price, partners=[],
                                               areas="E09000012:2", gates=GATES, answers=ANSWERS, now=now))


def scored_round(store, rid, marks=None):
    """Three bids (Cedar's price abnormally low: £150,000 < 70% of the median £300,000), scored
    by p1 (3 on every criterion unless ``marks`` says otherwise), moderation open."""
    keys = {who: submit(store, rid, who, price) for who, price in
            (("acme", 300000), ("birch", 320000), ("cedar", 150000))}
    store.bulk_assign("boss", rid, ["p1"], now=AFTER)
    store.save_scores("p1", [(k, c.id, (marks or {}).get(who, 3), f"reason for {c.id}")
                             for who, k in keys.items() for c in RULES.panel_criteria])
    store.open_moderation("boss", rid, now=AFTER)
    return keys


def test_an_abnormally_low_price_is_decided_only_after_the_bidder_answers(rnd):
    store, rid = rnd
    keys = scored_round(store, rid)
    cedar = store.my_bids("cedar")["bid_id"].iloc[0]
    assert [(f.bid_id, f.key) for f in store.open_flags("boss", rid)] == [(cedar, "price")]
    with pytest.raises(StoreError, match="decided only after a clarification"):
        store.resolve_flags("chair", rid, cedar, "Price looks fine to me.")
    cid = store.ask_clarification("chair", keys["cedar"], "How does £150,000 cover 5 FTE?", now=AFTER)
    with pytest.raises(StoreError, match="decided only after a clarification"):   # asked, not answered
        store.resolve_flags("chair", rid, cedar, "Price looks fine to me.")
    # the chair may not type the bidder's answer in; another bidder may not answer
    with pytest.raises(StoreError, match="the bidder answers on its Bids page"):
        store.record_answer("chair", cid, "Volunteers", now=AFTER)
    with pytest.raises(AccessDenied, match="only the questions about its own bids"):
        store.answer_clarification("birch", cid, "They cannot", now=AFTER)
    assert store.my_clarifications("birch").empty
    assert store.my_clarifications("cedar")[["bid_id", "question", "answer"]].values.tolist() == [
        [cedar, "How does £150,000 cover 5 FTE?", None]]
    store.answer_clarification("cedar", cid, "Two posts are funded by a lottery grant (appendix D).",
                               now=AFTER + dt.timedelta(days=1))
    with pytest.raises(StoreError, match="answered on 2027-06-06: ask a new question"):
        store.answer_clarification("cedar", cid, "changed my mind", now=AFTER)
    asked = store.clarifications("boss", rid).iloc[0]
    assert (asked["asked_by"], asked["answered_by"], asked["answered_at"][:10]) == ("chair", "cedar", "2027-06-06")
    assert [f.key for f in store.resolve_flags("chair", rid, cedar, "Lottery grant checked", now=AFTER)] == ["price"]
    store.lock_round("boss", rid)


def test_an_exchange_of_general_interest_is_published_without_naming_the_bid(rnd):
    store, rid = rnd
    keys = scored_round(store, rid)
    cid = store.ask_clarification("boss", keys["cedar"], "Cedar Collective: may volunteers hold cases?", now=AFTER)
    with pytest.raises(StoreError, match="no answer yet"):
        store.publish_clarification("boss", cid, "May volunteers hold cases?", "No.", now=AFTER)
    store.answer_clarification("cedar", cid, "Cedar Collective's volunteers never hold cases.", now=AFTER)
    with pytest.raises(InputError, match=r"names the bidder \(Cedar Collective\)"):
        store.publish_clarification("chair", cid, "May volunteers hold cases?",
                                    "CEDAR  collective’s volunteers never hold cases.", now=AFTER)
    with pytest.raises(AccessDenied):
        store.publish_clarification("cedar", cid, "May volunteers hold cases?", "No.", now=AFTER)
    assert store.published_clarifications("birch", rid).empty
    store.publish_clarification("chair", cid, "May volunteers hold cases?",
                                "No: volunteers support, accredited advisers hold cases.", now=AFTER)
    published = store.published_clarifications("birch", rid)
    assert published[["question", "answer"]].values.tolist() == [
        ["May volunteers hold cases?", "No: volunteers support, accredited advisers hold cases."]]
    assert list(published.columns) == ["question", "answer", "published_at"]     # no bid, no bidder


def test_a_bid_is_amended_or_withdrawn_until_the_deadline_and_every_version_is_kept(rnd):
    store, rid = rnd
    # the form is offered only while bids are open; before that the dates are given
    before = store.open_rounds(now=PUBLISHED + dt.timedelta(days=1)).iloc[0]
    assert (before["opens"], bool(before["open"])) == (dt.date(2027, 4, 20), False)
    assert bool(store.open_rounds(now=OPEN).iloc[0]["open"]) and store.open_rounds(now=AFTER).empty

    store.save_bid_draft("acme", rid, {"lot": "North", "price": 290000, "answers": {"Q1": "half"}}, now=OPEN)
    assert store.bid_draft("acme", rid)["answers"] == {"Q1": "half"} and store.bid_draft("birch", rid) is None
    key = submit(store, rid, "acme", 300000)
    assert store.bid_draft("acme", rid) is None                      # sending the bid clears the draft
    ref = store.my_bids("acme")["bid_id"].iloc[0]
    assert store.amend_bid("acme", key, price=290000, partners=["Birch Trust"], areas="E09000012:3",
                           gates=GATES, answers=ANSWERS | {"Q1": "A better answer."},
                           now=OPEN + dt.timedelta(days=3)) == 2
    mine = store.my_bids("acme").iloc[0]
    assert (mine["price"], mine["partners"], mine["submitted_at"][:10]) == (290000, "Birch Trust", "2027-05-04")
    assert store.bid_answers("acme", key, now=OPEN)["Q1"] == "A better answer."
    with pytest.raises(AccessDenied, match="only its own"):
        store.amend_bid("birch", key, price=1, partners=[], areas="", gates=GATES, answers=ANSWERS, now=OPEN)
    versions = store.bid_versions("acme", rid, ref, now=OPEN)
    assert versions[["version", "action", "price"]].values.tolist() == [[1, "submit", 300000], [2, "amend", 290000]]
    assert versions["answers"].iloc[0]["Q1"] == "Our answer to Q1." and versions["partners"].iloc[1] == ["Birch Trust"]
    with pytest.raises(AccessDenied, match="sealed until"):
        store.bid_versions("boss", rid, ref, now=OPEN)
    with pytest.raises(AccessDenied):
        store.bid_versions("birch", rid, ref, now=AFTER)

    # withdrawn before the deadline: out of the round, versions kept, its reference never reused
    birch_key = submit(store, rid, "birch", 310000)
    birch_ref = store.my_bids("birch")["bid_id"].iloc[0]
    assert store.withdraw_bid("birch", birch_key, now=OPEN) == birch_ref
    assert store.my_bids("birch").empty
    assert store.bid_versions("birch", rid, birch_ref, now=OPEN)["action"].tolist() == ["submit", "withdraw"]
    submit(store, rid, "birch", 305000)
    assert store.my_bids("birch")["bid_id"].tolist() == [f"R{rid}-003"] and birch_ref == f"R{rid}-002"

    # after the deadline: no amendment, withdrawal or draft; the commissioner reads every version
    with pytest.raises(StoreError, match="can no longer be amended: bids closed 05 June 2027 00:00 London time"):
        store.amend_bid("acme", key, price=1, partners=[], areas="", gates=GATES, answers=ANSWERS, now=AFTER)
    with pytest.raises(StoreError, match="can no longer be withdrawn"):
        store.withdraw_bid("acme", key, now=AFTER)
    with pytest.raises(StoreError, match="have closed"):
        store.save_bid_draft("acme", rid, {"price": 1}, now=AFTER)
    assert store.bid_versions("boss", rid, ref, now=AFTER)["version"].tolist() == [1, 2]
    assert sorted(store.received_bids("boss", rid, now=AFTER)["bid_id"]) == [ref, f"R{rid}-003"]
    # each change is audited without its content (the audit log is read while bids are sealed)
    log = store.audit_log("boss", rid)
    changes = log[log["action"].isin(["bid.submit", "bid.amend", "bid.withdraw"])]
    assert changes["action"].tolist() == ["bid.submit", "bid.amend", "bid.submit", "bid.withdraw", "bid.submit"]
    assert all(set(json.loads(v)) == {"version"} for v in changes["new_value"])


def test_moderation_needs_a_chosen_score_and_the_bidder_reads_the_reason_not_the_note(rnd):
    store, rid = rnd
    keys = scored_round(store, rid, marks={"cedar": 2})
    with pytest.raises(InputError, match="choose the moderated score: there is no default"):
        store.record_moderation("chair", keys["acme"], "Q1", None, "note", reason="reason")
    with pytest.raises(InputError, match="the reason the bidder will read"):
        store.record_moderation("chair", keys["acme"], "Q1", 4, "note", reason="  ")
    store.record_moderation("chair", keys["acme"], "Q1", 4, "Kim pushed for 4 after the coffee break",
                            reason="Strong evidence of outcomes for older victims in section 2")
    record = store.moderation_record("chair", rid).iloc[0]
    assert (record["note"], record["reason"]) == ("Kim pushed for 4 after the coffee break",
                                                  "Strong evidence of outcomes for older victims in section 2")
    cedar = store.my_bids("cedar")["bid_id"].iloc[0]
    cid = store.ask_clarification("boss", keys["cedar"], "Explain the price", now=AFTER)
    store.answer_clarification("cedar", cid, "A lottery grant", now=AFTER)
    store.resolve_flags("boss", rid, cedar, "Checked", now=AFTER)
    store.lock_round("boss", rid)
    store.issue_summaries("boss", rid, dt.date(2027, 6, 21), now=AFTER)
    summary = own_summary(store, "acme", keys["acme"])
    q1 = next(c for c in summary.bid.criteria if c.criterion == "Q1")
    assert q1.score == 4 and q1.reasons[-1] == "Moderation: Strong evidence of outcomes for older victims in section 2"
    assert "coffee" not in repr(summary)


def test_summaries_are_issued_once_and_the_standstill_runs_from_the_one_notice_date(rnd):
    store, rid = rnd
    keys = scored_round(store, rid, marks={"cedar": 2})
    cid = store.ask_clarification("boss", keys["cedar"], "Explain the price", now=AFTER)
    store.answer_clarification("cedar", cid, "A lottery grant", now=AFTER)
    store.resolve_flags("boss", rid, store.my_bids("cedar")["bid_id"].iloc[0], "Checked", now=AFTER)
    with pytest.raises(StoreError, match="lock it first"):
        store.issue_summaries("boss", rid, dt.date(2027, 6, 21), now=AFTER)
    store.lock_round("boss", rid)
    with pytest.raises(StoreError, match="not been issued yet"):
        round_summaries(store, "boss", rid)
    with pytest.raises(StoreError, match="not been issued yet"):
        own_summary(store, "birch", keys["birch"])
    with pytest.raises(InputError, match="the notice date 04 June 2027 is before today"):
        store.issue_summaries("boss", rid, dt.date(2027, 6, 4), now=AFTER)
    with pytest.raises(AccessDenied):
        store.issue_summaries("chair", rid, dt.date(2027, 6, 21), now=AFTER)
    # notice Monday 21 June 2027: the standstill is the 8 working days 22 June .. 1 July
    assert store.issue_summaries("boss", rid, dt.date(2027, 6, 21), now=dt.datetime(2027, 6, 18, 9, tzinfo=UTC)) \
        == dt.date(2027, 6, 21)
    with pytest.raises(StoreError, match="issued on 2027-06-18 with notice date 21 June 2027: they are issued once"):
        store.issue_summaries("boss", rid, dt.date(2027, 7, 1), now=dt.datetime(2027, 7, 1, tzinfo=UTC))
    assert store.summaries_notice(rid) == dt.date(2027, 6, 21)
    # whoever downloads, whenever: the same notice and standstill
    for who in ("acme", "birch"):
        s = own_summary(store, who, keys[who])
        assert (s.notice, s.standstill_start, s.standstill_end) == (
            dt.date(2027, 6, 21), dt.date(2027, 6, 22), dt.date(2027, 7, 1))
    assert {s.notice for s in round_summaries(store, "boss", rid)} == {dt.date(2027, 6, 21)}
    issued = store.audit_log("boss", rid).query("action == 'summaries.issue'")
    assert len(issued) == 1 and json.loads(issued.iloc[0]["new_value"]) == {
        "notice": "2027-06-21", "standstill_start": "2027-06-22", "standstill_end": "2027-07-01"}
