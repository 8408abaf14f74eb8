"""The commissioner's review: who has returned for a quarter, who is late, and what changed.

A return is due by the end of the month after its quarter (:func:`~commissioning.returns.quarters.due_date`).
The organisations expected are those with a provider account and those that have returned before.

A change from the previous quarter is a *large jump* when both figures are known and

    |current − previous| >= JUMP_SHARE × previous   and   |current − previous| >= MIN_CHANGE[measure]

(a rise from 0 counts as a jump when it passes the minimum), so that 1 → 2 referrals is not flagged
but 40 → 90 is.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from commissioning.organisations import organisation_key
from commissioning.procurement.lifecycle import LONDON, london_text
from commissioning.returns.layout import MEASURES
from commissioning.returns.quarters import check_quarter, due_date, previous

JUMP_SHARE = 0.5
MIN_CHANGE = {"capacity": 1.0, "waiting_days_median": 7.0, "referrals": 10, "referrals_refused": 5,
              "cases_open": 10, "clients_surveyed": 10, "clients_satisfied": 10}
STATUS_COLUMNS = ["provider", "status", "due", "late", "submitted_at", "submitted_by", "decided_at",
                  "decided_by", "query_note"]
NOT_RETURNED = "not returned"


def status_table(headers: pd.DataFrame, quarter: str, *, organisations: list[str] = (),
                 today: dt.date | None = None) -> pd.DataFrame:
    """One row per expected organisation for ``quarter`` (:data:`STATUS_COLUMNS`).

    ``headers`` are return headers of any quarters (``Store.returns_list``); ``organisations`` the
    provider accounts' organisations. ``late`` is True when a return was submitted after the due date
    (London time), or when there is none and ``today`` is past it (a queried return is waiting on the
    provider: it is late only if it first came in late).
    """
    quarter = check_quarter(quarter)
    today = today or dt.date.today()
    due = due_date(quarter)
    earlier = headers.loc[headers["quarter"] <= quarter, "provider"].tolist()
    names: dict[str, str] = {}
    for name in [*organisations, *earlier]:
        names.setdefault(organisation_key(name), str(name).strip())
    this = headers.loc[headers["quarter"] == quarter].copy()
    this["key"] = this["provider"].map(organisation_key)
    this = this.set_index("key")
    rows = []
    for key, name in sorted(names.items(), key=lambda kv: kv[1].casefold()):
        if key in this.index:
            r = this.loc[key]
            rows.append({"provider": r["provider"], "status": r["status"], "due": due.isoformat(),
                         "late": _london_date(r["submitted_at"]) > due,
                         "submitted_at": london_text(_text(r["submitted_at"])),
                         "submitted_by": _text(r["submitted_by"]),
                         "decided_at": london_text(_text(r["decided_at"])),
                         "decided_by": _text(r["decided_by"]), "query_note": _text(r["query_note"])})
        else:
            rows.append({"provider": name, "status": NOT_RETURNED, "due": due.isoformat(), "late": today > due,
                         "submitted_at": "", "submitted_by": "", "decided_at": "", "decided_by": "",
                         "query_note": ""})
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def _london_date(stamp) -> dt.date:
    """The London date of a UTC time the store wrote."""
    when = dt.datetime.fromisoformat(str(stamp))
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(LONDON).date()


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def changes(rows: pd.DataFrame, provider: str, quarter: str) -> pd.DataFrame:
    """One provider's figures for ``quarter`` against the previous quarter, long: service, code,
    measure, previous, current, change, change_pct, large (bool), note ("new row", "not returned now").

    ``rows`` are return rows of both quarters (``Store.return_rows``), any status.
    """
    quarter = check_quarter(quarter)
    before = previous(quarter)
    mine = rows.loc[rows["provider"].map(organisation_key) == organisation_key(provider)]
    now = mine.loc[mine["quarter"] == quarter].set_index(["service", "code"])
    then = mine.loc[mine["quarter"] == before].set_index(["service", "code"])
    out = []
    for key in sorted(set(now.index) | set(then.index)):
        note = "new row" if key not in then.index else ("not returned now" if key not in now.index else "")
        for measure in MEASURES:
            old = float(then.loc[key, measure]) if key in then.index else math.nan
            new = float(now.loc[key, measure]) if key in now.index else math.nan
            change = new - old
            pct = 100.0 * change / old if old and not math.isnan(change) else math.nan
            large = (not math.isnan(change) and abs(change) >= MIN_CHANGE[measure]
                     and (old == 0 or abs(change) >= JUMP_SHARE * old))
            out.append({"service": key[0], "code": key[1], "measure": measure, "previous": old, "current": new,
                        "change": change, "change_pct": pct, "large": bool(large), "note": note})
    return pd.DataFrame(out, columns=["service", "code", "measure", "previous", "current", "change",
                                      "change_pct", "large", "note"])
