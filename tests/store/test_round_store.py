"""The round lifecycle in the store and its rules: publication, sealed intake by a provider, late
bids, consortium members in conflicts, bulk assignment and progress, drafts, scoring closed in
moderation, moderation outside the panel's range, standstill and bank holidays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.procurement import lifecycle
from commissioning.procurement.bid_files import read_bid_file, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.publish.summaries import own_summary
from commissioning.store import open_store

REPO = Path(__file__).resolve().parents[2]
RULES = load_rules(REPO / "scoring_rules" / "default.yaml")
UTC = dt.UTC
PUBLISHED = dt.datetime(2027, 1, 10, 9, tzinfo=UTC)
OPEN = dt.datetime(2027, 5, 1, 9, tzinfo=UTC)        # bids invited 20 April
BEFORE = dt.datetime(2027, 6, 3, 9, tzinfo=UTC)      # paper bids are imported before the deadline
AFTER = dt.datetime(2027, 6, 5, 9, tzinfo=UTC)       # bids closed end of 4 June (London)
GATES = {"safeguarding": "pass", "data_protection": "pass", "insurance": "pass"}
ANSWERS = {c.id: f"Our answer to {c.id}." for c in RULES.panel_criteria}


@pytest.fixture
def rnd(tmp_path):
    store = open_store(tmp_path / "r.sqlite")
    store.create_user("boss", "lantern orbit meadow 42", role="commissioner")
    for name in ("p1", "p2"):
        store.add_member("boss", name, role="panel")
    store.add_member("boss", "chair", role="chair")
    store.add_member("boss", "acme", role="provider", organisation="Acme Women's Aid")
    store.add_member("boss", "birch", role="provider", organisation="Birch Trust")
    rid = store.publish_round("boss", "Round", RULES, now=PUBLISHED)
    store.add_lot("boss", rid, "North")
    return store, rid


def submit(store, rid, who, partners=(), now=OPEN, answers=ANSWERS, price=300000):
    return store.submit_bid(who, rid, lot="North", price=price, partners=list(partners),
                            areas="E09000012:2", gates=GATES, answers=answers, now=now)


def test_publication_hash_and_new_version_is_a_new_round(rnd):
    store, rid = rnd
    info = store.round_info(rid)
    assert len(info["rules_sha256"]) == 64
    assert info["deadline"] == dt.datetime(2027, 6, 4, 23, tzinfo=UTC)
    assert store.lots_of(rid)[:1] == ["West"] and store.lots_of(rid)[-1] == "North"  # published + added
    again = store.publish_round("boss", "Round v2", RULES, now=PUBLISHED)
    log = store.audit_log("boss", again)
    assert '"supersedes": ["Round"]' in log.iloc[0]["new_value"]
    with pytest.raises(InputError, match="Too little notice"):
        store.publish_round("boss", "Late", RULES, now=dt.datetime(2027, 2, 1, tzinfo=UTC))


def test_sealed_intake_by_a_provider(rnd):
    store, rid = rnd
    with pytest.raises(InputError, match="bids are invited from 20 April 2027"):
        submit(store, rid, "acme", now=dt.datetime(2027, 4, 19, 12, tzinfo=UTC))
    with pytest.raises(InputError, match="Q1 has 501 words; the limit is 500"):
        submit(store, rid, "acme", answers=ANSWERS | {"Q1": "word " * 501})
    with pytest.raises(InputError, match="an answer is needed for Q2"):
        submit(store, rid, "acme", answers={k: v for k, v in ANSWERS.items() if k != "Q2"})
    ref = submit(store, rid, "acme", partners=["Birch Trust", "Cedar by-and-for Collective"])
    with pytest.raises(StoreError, match="already bid for lot North"):
        submit(store, rid, "acme")
    key = store.bid_key(rid, ref)
    assert store.bid_organisations(key) == ["Acme Women's Aid", "Birch Trust", "Cedar by-and-for Collective"]
    # before the deadline: the provider sees its own bid; nobody else sees its content
    assert store.bid_answers("acme", key, now=OPEN)["Q1"] == "Our answer to Q1."
    for other in ("boss", "chair", "birch"):
        with pytest.raises(AccessDenied, match="sealed until"):
            store.bid_answers(other, key, now=OPEN)
    assert list(store.received_bids("boss", rid, now=OPEN).columns) == ["bid_id", "submitted_at"]
    assert store.my_bids("birch").empty and store.my_bids("acme")["bid_id"].tolist() == [ref]
    # after it: the commissioner sees the content, another provider still does not
    assert store.received_bids("boss", rid, now=AFTER)["partners"].tolist() == [
        "Birch Trust; Cedar by-and-for Collective"]
    with pytest.raises(AccessDenied, match="only its own"):
        store.bid_answers("birch", key, now=AFTER)
    # late: refused, and the refusal is logged
    with pytest.raises(StoreError, match="is late"):
        submit(store, rid, "birch", now=dt.datetime(2027, 6, 4, 23, 0, tzinfo=UTC))
    log = store.audit_log("boss", rid)
    assert log.iloc[-1]["action"] == "bid.refuse_late"
    assert submit(store, rid, "birch", now=dt.datetime(2027, 6, 4, 22, 59, tzinfo=UTC)).endswith("-002")


def test_bulk_assignment_skips_conflicts_with_partners_and_progress(rnd):
    store, rid = rnd
    k1 = store.bid_key(rid, submit(store, rid, "acme", partners=["Birch Trust"]))
    k2 = store.bid_key(rid, submit(store, rid, "birch"))
    store.declare_conflict("p2", "  birch   TRUST ", note="trustee")
    with pytest.raises(AccessDenied, match="sealed"):
        store.bulk_assign("boss", rid, ["p1", "p2"], lot="North", now=OPEN)
    made, skipped = store.bulk_assign("boss", rid, ["p1", "p2"], lot="North", now=AFTER)
    # p2 is conflicted with Birch Trust: its own bid and the bid where it is a partner
    assert made == 2 and sorted(skipped) == [("p2", "R1-001"), ("p2", "R1-002")]
    with pytest.raises(AccessDenied, match="not assigned"):
        store.bid_answers("p2", k1, now=AFTER)
    with pytest.raises(AccessDenied, match="p2 declared a conflict"):
        store.assign("boss", "p2", k1)
    assert store.bid_answers("p1", k1, now=AFTER)["Q3"] == "Our answer to Q3."
    store.save_scores("p1", [(k1, c.id, 3, "sound") for c in RULES.panel_criteria]
                      + [(k2, "Q1", 4, "good")])
    progress = store.progress("boss", rid).set_index("username")
    assert progress.loc["p1"].tolist() == [2, 1, 10, 18]   # 2 bids, 1 complete, 9 + 1 of 2 x 9 criteria


def test_drafts_survive_and_scoring_closes_in_moderation(rnd):
    store, rid = rnd
    key = store.bid_key(rid, submit(store, rid, "acme"))
    store.bulk_assign("boss", rid, ["p1"], now=AFTER)
    store.save_draft("p1", key, "Q1", 4, "half-written reason")
    store.save_draft("p1", key, "Q2", None, "notes")
    assert store.drafts("p1", key) == {"Q1": (4.0, "half-written reason"), "Q2": (None, "notes")}
    with pytest.raises(AccessDenied):
        store.save_draft("p2", key, "Q1", 1, "not mine")
    with pytest.raises(AccessDenied, match="sealed"):
        store.open_moderation("boss", rid, now=OPEN)
    store.save_score("p1", key, "Q1", 4, "final reason")
    assert store.drafts("p1", key) == {"Q2": (None, "notes")}  # the saved score's draft is gone
    store.open_moderation("boss", rid, now=AFTER)
    with pytest.raises(StoreError, match="scoring is closed"):
        store.save_score("p1", key, "Q1", 5, "late change")
    with pytest.raises(InputError, match="needs a note"):
        store.reopen_scoring("boss", rid, " ")
    with pytest.raises(AccessDenied):
        store.reopen_scoring("chair", rid, "why")
    store.reopen_scoring("boss", rid, "p1 was ill during scoring week")
    store.save_score("p1", key, "Q1", 5, "late change, allowed")
    log = store.audit_log("boss", rid)
    assert "round.reopen_scoring" in set(log["action"])


def test_moderation_record_shows_who_and_outside_range(rnd):
    store, rid = rnd
    key = store.bid_key(rid, submit(store, rid, "acme"))
    store.bulk_assign("boss", rid, ["p1", "p2"], now=AFTER)
    for who, mark in (("p1", 2), ("p2", 3)):
        store.save_scores(who, [(key, c.id, mark, "why") for c in RULES.panel_criteria])
    store.open_moderation("boss", rid, now=AFTER)
    store.record_moderation("chair", key, "Q1", 3, "agreed at the meeting", reason="Moderated at the panel meeting")
    store.record_moderation("chair", key, "Q2", 5, "evidence in appendix C the panel missed", reason="Moderated at the panel meeting")
    rec = store.moderation_record("boss", rid).set_index("criterion")
    assert rec.loc["Q1", "set_by"] == "chair" and not rec.loc["Q1", "outside_range"]
    assert rec.loc["Q2", "outside_range"] and (rec.loc["Q2", "panel_min"], rec.loc["Q2", "panel_max"]) == (2, 3)


def test_import_bids_from_xlsx_with_partners(rnd, tmp_path):
    from openpyxl import Workbook

    store, rid = rnd
    book = Workbook()
    sheet = book.active
    sheet.append(["bid_id", "organisation", "partners", "lot", "price", "submitted_at",
                  "gate_safeguarding", "gate_data_protection", "gate_insurance", "areas"])
    sheet.append(["X1", "Oak Refuge", "Elm Advice; Ash Link", "North", 250000, "2027-06-01T10:00:00",
                  "pass", "pass", "pass", "E09000012:1"])
    sheet.append(["X2", "Yew Support", "", "North", "abc", "2027-06-01T10:00:00", "pass", "pass", "pass", ""])
    book.save(tmp_path / "bids.xlsx")
    with pytest.raises(InputError, match=r"bids.xlsx, line 3, column 'price': 'abc' is not a number"):
        store.import_bids("boss", rid, read_bid_file(tmp_path / "bids.xlsx"), now=BEFORE)
    sheet.delete_rows(3)
    book.save(tmp_path / "bids.xlsx")
    assert store.import_bids("boss", rid, read_bid_file(tmp_path / "bids.xlsx"), now=BEFORE) == ["X1"]
    assert store.bid_organisations(store.bid_key(rid, "X1")) == ["Oak Refuge", "Elm Advice", "Ash Link"]


def test_import_scores_refuses_a_conflicted_scorer(rnd, tmp_path):
    store, rid = rnd
    submit(store, rid, "acme", partners=["Birch Trust"])
    store.declare_conflict("p1", "Birch Trust", note="employee")
    (tmp_path / "s.csv").write_text("bid_id,scorer,criterion,score,comment\nR1-001,p2,Q1,3,ok\n"
                                    "R1-001,p1,Q1,3,ok\nR1-001,p1,Q2,3,ok\n")
    with pytest.raises(AccessDenied, match=r"s.csv: scores by a member with a conflict of interest; nothing was "
                                           r"imported. lines 3, 4: p1 declared a conflict with 'Birch Trust', "
                                           r"and 'Birch Trust' is a partner in bid R1-001"):
        store.import_scores("boss", rid, read_scores(tmp_path / "s.csv"), now=AFTER)
    assert store.my_scores("p2").empty                    # p2's row was fine, but nothing was stored


@pytest.mark.parametrize("declared, partner", [
    ("\u0410lder Trust", "Alder Trust"),     # a declaration with a Cyrillic А
    ("Alder Trust", "\u0410lder Trust"),     # a partner spelt with one escapes no honest declaration
    ("Alder Trust", "\u0391lder \u03a4rust"),  # Greek Alpha and Tau
])
def test_look_alike_letters_do_not_defeat_a_conflict(rnd, declared, partner):
    store, rid = rnd
    key = store.bid_key(rid, submit(store, rid, "acme", partners=[partner]))
    store.declare_conflict("p1", declared, note="trustee")
    assert store.conflicted_bids("p1", rid) == [store.received_bids("boss", rid, now=AFTER)["bid_id"][0]]
    assert key


def test_a_look_alike_lead_is_matched(rnd):
    store, rid = rnd
    submit(store, rid, "acme")
    store.declare_conflict("p2", "\u0410cme Women\u2019s \u0410id", note="employee")   # Cyrillic А twice
    assert store.conflicted_bids("p2", rid) == ["R1-001"]


def test_deadline_standstill_and_bank_holidays():
    assert lifecycle.deadline(RULES) == dt.datetime(2027, 6, 4, 23, tzinfo=UTC)   # BST
    # 2027: Christmas Day is a Saturday, Boxing Day a Sunday -> Mon 27 and Tue 28 December
    hols = lifecycle.bank_holidays(2027)
    assert {dt.date(2027, 12, 27), dt.date(2027, 12, 28), dt.date(2027, 3, 26), dt.date(2027, 3, 29),
            dt.date(2027, 5, 3), dt.date(2027, 5, 31), dt.date(2027, 8, 30), dt.date(2027, 1, 1)} == hols
    # notice Thu 23 Dec 2027: working days 24, 29, 30, 31 Dec, 4 (3 Jan is the New Year substitute), 5, 6, 7 Jan
    assert lifecycle.bank_holidays(2028) >= {dt.date(2028, 1, 3)}
    assert lifecycle.standstill(dt.date(2027, 12, 23)) == (dt.date(2027, 12, 24), dt.date(2028, 1, 7))
    # notice Mon 21 June 2027: 22 June .. 1 July
    assert lifecycle.standstill(dt.date(2027, 6, 21)) == (dt.date(2027, 6, 22), dt.date(2027, 7, 1))
    assert lifecycle.count_words("  one two\nthree\tfour ") == 4
    assert lifecycle.word_limit(RULES, "Q1") == 500


def test_a_provider_gets_only_its_own_assessment_summary_after_the_lock(rnd):
    import io

    from pypdf import PdfReader

    from commissioning.publish.pdf.summaries import summary_pdf

    store, rid = rnd
    k1 = store.bid_key(rid, submit(store, rid, "acme", price=300000))
    k2 = store.bid_key(rid, submit(store, rid, "birch", price=280000))
    store.add_member("boss", "p3", role="panel", display_name="Priya Third")
    store.bulk_assign("boss", rid, ["p1", "p2", "p3"], now=AFTER)
    for who, marks in (("p1", {k1: 4, k2: 3}), ("p2", {k1: 4, k2: 3}), ("p3", {k1: 5, k2: 3})):
        store.save_scores(who, [(k, c.id, m, f"reason from {who} for {c.id}") for k, m in marks.items()
                                for c in RULES.panel_criteria])
    with pytest.raises(StoreError, match="not locked yet"):
        own_summary(store, "birch", k2)
    store.open_moderation("boss", rid, now=AFTER)
    store.lock_round("boss", rid)
    with pytest.raises(StoreError, match="not been issued yet"):
        own_summary(store, "birch", k2)
    store.issue_summaries("boss", rid, dt.date(2027, 6, 21), now=AFTER)
    with pytest.raises(AccessDenied, match="only its own"):
        own_summary(store, "birch", k1)
    summary = own_summary(store, "birch", k2)
    assert summary.bid.bid_id == "R1-002" and summary.winner.bid_id == "R1-001" and not summary.is_winner
    # quality: acme 4 on every quality criterion = 60 x 4/5 = 48, birch 3 -> 36; social value 8 vs 6;
    # price (lowest_relative, weight 30): acme 30 x 280000 / 300000 = 28, birch 30
    assert summary.bid.total == pytest.approx(36 + 6 + 30) and summary.winner.total == pytest.approx(48 + 8 + 28)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(summary_pdf(summary))).pages).split())
    assert "reason from a panel member for Q1" in text and "The winning bid: R1-001" in text
    for name in ("p1", "p2", "p3", "Priya", "Third"):
        assert f"from {name}" not in text and name not in text.replace("a panel member", "")


def test_answers_file_errors_name_file_line_and_column(rnd, tmp_path):
    from commissioning.procurement.bid_files import read_answers

    store, rid = rnd
    (tmp_path / "bids.csv").write_text(
        "bid_id,organisation,lot,price,submitted_at,gate_safeguarding,gate_data_protection,gate_insurance\n"
        "X1,Oak Refuge,North,250000,2027-06-01T10:00:00,pass,pass,pass\n", encoding="utf-8")
    bids = read_bid_file(tmp_path / "bids.csv")
    for body, message in (
            ('X2,Q1,"fine"\n', r"answers.csv, line 2, column 'bid_id': unknown bid id 'X2'"),
            ('X1,Q1,ok\nX1,Q9,"no"\n', r"answers.csv, line 3, column 'criterion': unknown criterion 'Q9'"),
            ('X1,Q1,"' + "w " * 501 + '"\n', r"answers.csv, line 2, column 'answer': the answer to Q1 has 501 words")):
        (tmp_path / "answers.csv").write_text("bid_id,criterion,answer\n" + body, encoding="utf-8")
        with pytest.raises(InputError, match=message):
            store.import_bids("boss", rid, bids, read_answers(tmp_path / "answers.csv"), now=BEFORE)
    assert store.received_bids("boss", rid, now=AFTER).empty          # nothing half-written


# --- issue 22, items 3, 5 and 6: back-dated, future and London-time bids; lots not published ----

BID_HEADER = "bid_id,organisation,lot,price,submitted_at,gate_safeguarding,gate_data_protection,gate_insurance\n"


def _bids_file(tmp_path, *rows) -> "pd.DataFrame":
    (tmp_path / "bids.csv").write_text(BID_HEADER + "".join(
        f"{ref},{org},{lot},250000,{when},pass,pass,pass\n" for ref, org, lot, when in rows), encoding="utf-8")
    return read_bid_file(tmp_path / "bids.csv")


def test_import_after_the_deadline_refuses_every_bid_and_logs_each(rnd, tmp_path):
    store, rid = rnd
    six_days_late = dt.datetime(2027, 6, 10, 9, tzinfo=UTC)
    bids = _bids_file(tmp_path, ("X1", "Oak Refuge", "North", "2027-06-01T10:00:00"),
                      ("X2", "Yew Support", "North", "2027-06-04T18:00:00+01:00"))
    with pytest.raises(StoreError, match="closed 2027-06-04T23:00:00.00:00: none of the 2 bids was imported"):
        store.import_bids("boss", rid, bids, now=six_days_late)
    assert store.received_bids("boss", rid, now=six_days_late).empty
    log = store.audit_log("boss", rid)
    assert log[log["action"] == "bid.refuse_late"]["entity"].tolist() == ["bid X1", "bid X2"]


def test_a_bid_dated_later_than_now_is_refused(rnd, tmp_path):
    store, rid = rnd
    bids = _bids_file(tmp_path, ("X1", "Oak Refuge", "North", "2027-06-01T10:00:00"),
                      ("X2", "Yew Support", "North", "2027-06-03T12:00:00+01:00"))   # 11:00 UTC > 09:00
    with pytest.raises(InputError, match=r"bids.csv, line 3, column 'submitted_at': bid X2 is dated "
                                         r"2027-06-03T11:00:00\+00:00, later than now"):
        store.import_bids("boss", rid, bids, now=BEFORE)
    assert store.received_bids("boss", rid, now=AFTER).empty


def test_a_time_without_a_zone_is_london_time(rnd, tmp_path):
    store, rid = rnd
    # 23:30 on the deadline day in June is 22:30 UTC (BST): in time, not late as it would be in UTC.
    bids = _bids_file(tmp_path, ("X1", "Oak Refuge", "North", "2027-06-04T23:30:00"))
    assert store.import_bids("boss", rid, bids, now=dt.datetime(2027, 6, 4, 22, 45, tzinfo=UTC)) == ["X1"]
    assert store.received_bids("boss", rid, now=AFTER)["submitted_at"].tolist() == ["2027-06-04T22:30:00+00:00"]
    bids = _bids_file(tmp_path, ("X2", "Yew Support", "North", "2027-03-28T01:30:00"))   # the hour skipped in March
    with pytest.raises(InputError, match="a London time skipped or doubled when the clocks change"):
        store.import_bids("boss", rid, bids, now=BEFORE)


def test_a_bid_for_a_lot_the_round_does_not_have_is_refused(rnd, tmp_path):
    store, rid = rnd
    bids = _bids_file(tmp_path, ("X1", "Oak Refuge", "North", "2027-06-01T10:00:00"),
                      ("X2", "Yew Support", "Atlantis", "2027-06-01T10:00:00"))
    with pytest.raises(StoreError, match=r"lot 'Atlantis' is not one of round Round's lots \(North, North East, South, West\)"):
        store.import_bids("boss", rid, bids, now=BEFORE)
    assert store.received_bids("boss", rid, now=AFTER).empty and "Atlantis" not in store.lots_of(rid)
