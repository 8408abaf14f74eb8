"""Issue 21, item 9: quarters listed in order; Panel set-up's "take bids back" labels survive bids
sealed again (the clock moved back: ``KeyError: 10``); one London-time formatter."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from commissioning.procurement.lifecycle import london_text
from commissioning.web import appdata
from commissioning.web.returnsdata import quarter_just_ended, recent_quarters


def test_quarters_are_listed_newest_first_in_order():
    assert recent_quarters(dt.date(2026, 11, 1)) == ["2026Q4", "2026Q3", "2026Q2", "2026Q1", "2025Q4", "2025Q3"]
    assert quarter_just_ended(dt.date(2026, 11, 1)) == "2026Q3"


def test_assigned_bids_keep_a_label_while_the_round_s_bids_are_sealed():
    assigned = pd.DataFrame({"key": [10, 11], "bid_id": ["NE-01", "NE-02"],
                             "organisation": ["Thamesreach", "Hope"], "username": ["pat", "pat"]})
    sealed = pd.DataFrame(columns=["key", "bid_id", "organisation", "lot"])
    assert appdata.assigned_labels(sealed, assigned) == {10: "NE-01 — Thamesreach", 11: "NE-02 — Hope"}
    visible = pd.DataFrame({"key": [10], "bid_id": ["NE-01"], "organisation": ["Thamesreach"], "lot": ["North East"]})
    assert appdata.assigned_labels(visible, assigned)[10] == "NE-01 — Thamesreach (lot North East)"


def test_one_london_time_formatter_names_the_zone():
    # The deadline that read "05 June 2027, 00:00" on Bids and "04 June 2027 23:00 UTC" on Rounds:
    assert london_text(dt.datetime(2027, 6, 4, 23, 0, tzinfo=dt.UTC)) == "midnight at the end of 4 June 2027 (London time)"
    assert london_text("2027-01-10T09:05:00+00:00") == "10 January 2027, 09:05 (London time)"   # GMT
    assert london_text("2027-07-10T09:05:00") == "10 July 2027, 10:05 (London time)"           # BST, UTC assumed
    assert london_text(None) == "" and london_text("") == "" and london_text(float("nan")) == ""
