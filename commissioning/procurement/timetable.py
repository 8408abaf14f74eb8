"""The three-month rule: priorities and scoring rules are published at least :data:`NOTICE_MONTHS`
calendar months before bids are invited (the London Assembly review's ask). Checked when a round is
created and when bids are opened (:mod:`commissioning.procurement.lifecycle`), and shown in the
published priorities.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

#: Minimum notice between publishing priorities and inviting bids, in calendar months.
NOTICE_MONTHS = 3


@dataclass(frozen=True)
class TimetableCheck:
    """Whether bids are invited at least :data:`NOTICE_MONTHS` calendar months after publication."""

    ok: bool
    priorities_published: dt.date
    bids_invited: dt.date
    earliest_invitation: dt.date
    days_between: int
    months_between: int
    message: str


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, or the month's last day if it has none.

    31 August + 3 months = 30 November; 30 November + 3 months = 28 February (29 in a leap year).
    This is the "corresponding date" rule used for periods in calendar months in UK law.
    """
    return day + relativedelta(months=months)


def check_timetable(priorities_published: dt.date, bids_invited: dt.date,
                    months: int = NOTICE_MONTHS) -> TimetableCheck:
    """Check that ``bids_invited >= add_months(priorities_published, months)``.

    Inviting bids on the corresponding date itself (e.g. published 15 January, invited 15 April)
    meets the rule; a day earlier does not. ``months_between`` counts whole calendar months.
    """
    earliest = add_months(priorities_published, months)
    delta = relativedelta(bids_invited, priorities_published)
    whole_months = delta.years * 12 + delta.months
    days = (bids_invited - priorities_published).days
    ok = bids_invited >= earliest
    if ok:
        message = (f"Priorities published {_day(priorities_published)}, bids invited {_day(bids_invited)}: "
                   f"{days} days ({whole_months} whole calendar months) apart, meeting the rule of at least "
                   f"{months} calendar months (bids may be invited from {_day(earliest)}).")
    else:
        short = (earliest - bids_invited).days
        message = (f"Too little notice: priorities published {_day(priorities_published)} but bids invited "
                   f"{_day(bids_invited)}, {days} days later. Bids must not be invited before "
                   f"{_day(earliest)} ({months} calendar months after publication), {short} "
                   f"day{'s' if short != 1 else ''} later than planned.")
    return TimetableCheck(ok, priorities_published, bids_invited, earliest, days, whole_months, message)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def timetable_check_from_rules(rules) -> TimetableCheck | None:
    """The check for a :class:`~commissioning.procurement.rules.Rules` timetable, or None if either date is missing."""
    timetable = getattr(rules, "timetable", None) or {}
    if "priorities_published" not in timetable or "bids_invited" not in timetable:
        return None
    return check_timetable(timetable["priorities_published"], timetable["bids_invited"])

