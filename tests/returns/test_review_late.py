"""Issue 21, item 9: a return sent after its due date is marked late (a return five weeks late was
not), judged by the London date; times read in London time with the zone named."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from commissioning.returns.review import status_table


def headers(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"return_id": i, "provider": p, "quarter": "2026Q3", "status": "submitted",
                          "basis": "real", "notes": "", "query_note": None, "submitted_by": "x",
                          "submitted_at": at, "decided_by": None, "decided_at": None}
                         for i, (p, at) in enumerate(rows)])


def test_a_return_sent_after_the_due_date_is_late_by_london_date():
    # 2026Q3 is due on 31 October 2026. 23:30 UTC on 31 October is 23:30 in London (GMT from 25
    # October): on time. 00:30 UTC on 1 November is late; five weeks late (5 December) is late.
    table = status_table(headers(("On Time Trust", "2026-10-31T23:30:00+00:00"),
                                 ("Just Late", "2026-11-01T00:30:00+00:00"),
                                 ("Five Weeks", "2026-12-05T10:00:00+00:00")),
                         "2026Q3", today=dt.date(2026, 12, 7))
    assert dict(zip(table["provider"], table["late"])) == {"Five Weeks": True, "Just Late": True,
                                                           "On Time Trust": False}
    assert table.set_index("provider").loc["Five Weeks", "submitted_at"] == "5 December 2026, 10:00 (London time)"


def test_summer_time_moves_the_london_date():
    # A 2026Q2 return is due on 31 July 2026. 23:30 UTC on 31 July is 00:30 on 1 August in London
    # (BST): late, though its UTC date is the due date; 22:30 UTC is 23:30 London time: on time.
    frame = headers(("Late Trust", "2026-07-31T23:30:00+00:00"), ("Prompt", "2026-07-31T22:30:00+00:00"))
    frame["quarter"] = "2026Q2"
    table = status_table(frame, "2026Q2", today=dt.date(2026, 10, 2))
    assert dict(zip(table["provider"], table["late"])) == {"Late Trust": True, "Prompt": False}
