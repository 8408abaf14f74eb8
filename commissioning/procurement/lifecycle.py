"""A commissioning round's timetable and obligations, apart from storage.

- The bid deadline: the end of the rules' ``timetable.bids_close`` day, London time (a bid
  submitted at 23:59 on that day is in time; 00:00 the next day is late).
- The three-month rule (the review's ask, see ``procurement.timetable.check_timetable``): priorities
  are published at least three calendar months before bids are invited. Checked when a round is
  created (its rules are published that day) and when bids are opened.
- Flags that must be resolved before a round is locked, from a :class:`ScoringResult`: an
  abnormally low price (``price < abnormally_low × lot median``) and a panel spread
  (``max − min ≥ spread_flag``) with no chair's moderation, for bids still in the running.
- Standstill (Procurement Act 2023, s.51): eight working days, counted from the day after the
  notice; working days exclude weekends and bank holidays in England and Wales.
- Word limits for written answers: ``word_limit`` on a criterion, else a top-level
  ``word_limit`` in the rules, else :data:`DEFAULT_WORD_LIMIT`.
"""

from __future__ import annotations

import datetime as dt
import re


import numpy as np
from dateutil.easter import easter
from dateutil.relativedelta import MO, relativedelta

from commissioning.errors import InputError
from commissioning.procurement.bid_files import LONDON
from commissioning.procurement.rules import Rules
from commissioning.procurement.scoring import Flag, ScoringResult
from commissioning.procurement.timetable import NOTICE_MONTHS, add_months, check_timetable

STANDSTILL_WORKING_DAYS = 8
DEFAULT_WORD_LIMIT = 500


def london_text(when: dt.datetime | str | None) -> str:
    """A moment as people in London read it, the zone named: "4 June 2027, 14:05 (London time)";
    a deadline at midnight reads "midnight at the end of 4 June 2027 (London time)". Naive times
    and ISO text without a zone are taken as UTC (the store writes UTC); no time (None, NaN, "")
    gives ""."""
    if when is None or when != when or (isinstance(when, str) and not when.strip()):   # None, NaN, NaT, ""
        return ""
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.strip())
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone(LONDON)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = local - dt.timedelta(days=1)
        return f"midnight at the end of {day.day} {day:%B %Y} (London time)"
    return f"{local.day} {local:%B %Y, %H:%M} (London time)"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


NOW_ENV = "COMMISSIONING_NOW"


def now_from_env(env) -> dt.datetime | None:
    """The clock's stand-in from ``COMMISSIONING_NOW`` in ``env`` (an ISO date-time with a zone),
    for rehearsals and tests of deadlines; None when unset (use the real clock)."""
    value = str(env.get(NOW_ENV, "") or "").strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InputError(f"{NOW_ENV}={value!r} is not an ISO date-time with a zone",
                         expected="e.g. 2027-06-10T09:00:00+01:00")
    return moment


def london_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


def _milestone(rules: Rules, key: str) -> dt.date:
    if key not in rules.timetable:
        raise InputError(f"timetable.{key} is needed to run a round", file=rules.source)
    return rules.timetable[key]


def deadline(rules: Rules) -> dt.datetime:
    """The instant bids close (UTC): midnight at the end of ``timetable.bids_close``, London time."""
    day = _milestone(rules, "bids_close") + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(dt.UTC)


def check_publication(rules: Rules, published: dt.date) -> None:
    """Refuse rules published less than three calendar months before their ``bids_invited``."""
    check = check_timetable(published, _milestone(rules, "bids_invited"))
    if not check.ok:
        raise InputError(check.message, file=rules.source)


def bids_open_from(rules: Rules, published: dt.date) -> dt.date:
    """The first day bids are taken: ``timetable.bids_invited``, and not before three calendar
    months after publication."""
    return max(_milestone(rules, "bids_invited"), add_months(published, NOTICE_MONTHS))


def check_bids_open(rules: Rules, published: dt.date, today: dt.date) -> None:
    """Refuse opening bids before the invitation date, or before three months since publication."""
    invited = _milestone(rules, "bids_invited")
    if today < invited:
        raise InputError(f"bids are invited from {invited:%d %B %Y}; today is {today:%d %B %Y}",
                         file=rules.source)
    check = check_timetable(published, today)
    if not check.ok:
        raise InputError(check.message, file=rules.source)


def is_late(submitted: dt.datetime, closes: dt.datetime) -> bool:
    return submitted >= closes


# -- written answers -------------------------------------------------------------------------

def word_limit(rules: Rules, criterion_id: str) -> int:
    for raw in rules.raw.get("criteria", []):
        if raw.get("id") == criterion_id and raw.get("word_limit"):
            return int(raw["word_limit"])
    return int(rules.raw.get("word_limit") or DEFAULT_WORD_LIMIT)


def count_words(text: str) -> int:
    """Words as a word processor counts them: runs of non-space characters."""
    return len(re.findall(r"\S+", str(text or "")))


def check_answer(rules: Rules, criterion_id: str, text: str) -> str:
    """A stripped answer within the criterion's word limit (else InputError naming both)."""
    if criterion_id not in {c.id for c in rules.panel_criteria}:
        raise InputError(f"unknown criterion {criterion_id!r}", column="criterion",
                         expected=", ".join(c.id for c in rules.panel_criteria))
    text = str(text or "").strip()
    limit, words = word_limit(rules, criterion_id), count_words(text)
    if words > limit:
        raise InputError(f"the answer to {criterion_id} has {words} words; the limit is {limit}",
                         column="answer")
    return text


# -- flags to resolve before lock ------------------------------------------------------------

def open_flags(result: ScoringResult) -> list[Flag]:
    """The flags without a recorded decision (the decisions are the engine's input)."""
    return [f for f in result.flags if f.decision is None]


# -- standstill ------------------------------------------------------------------------------

def bank_holidays(year: int) -> set[dt.date]:
    """Bank holidays in England and Wales (Banking and Financial Dealings Act 1971, sch. 1, and the
    usual royal proclamations): New Year's Day, Good Friday, Easter Monday, the first and last
    Mondays of May, the last Monday of August, Christmas Day and Boxing Day, with substitute days
    when these fall at a weekend. One-off holidays (e.g. a coronation) are not included."""

    def substitute(day: dt.date, taken: set[dt.date]) -> dt.date:
        while day.weekday() >= 5 or day in taken:
            day += dt.timedelta(days=1)
        return day

    easter_day = easter(year)
    days = {easter_day - dt.timedelta(days=2), easter_day + dt.timedelta(days=1),
            dt.date(year, 5, 1) + relativedelta(weekday=MO(1)),
            dt.date(year, 5, 31) + relativedelta(weekday=MO(-1)),
            dt.date(year, 8, 31) + relativedelta(weekday=MO(-1))}
    days.add(substitute(dt.date(year, 1, 1), days))
    christmas = substitute(dt.date(year, 12, 25), days)
    days.add(christmas)
    days.add(substitute(dt.date(year, 12, 26), days))
    return days


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def standstill(notice: dt.date, working_days: int = STANDSTILL_WORKING_DAYS) -> tuple[dt.date, dt.date]:
    """``(first day, last day)`` of the standstill that follows a notice given on ``notice``: it
    starts the day after and ends at midnight at the end of the ``working_days``-th working day; the
    contract may be entered into from the next day."""
    day, counted = notice, 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        counted += is_working_day(day)
    return notice + dt.timedelta(days=1), day


def in_range(score: float, panel: list[float]) -> bool:
    """Whether a moderated score lies within the panel's range (min..max of its scores)."""
    return not panel or float(np.min(panel)) <= score <= float(np.max(panel))
