"""Calendar quarters, written ``2026Q3`` (July to September 2026), the convention the satisfaction
package uses too. A return is due by the end of the month after its quarter (2026Q3: 31 October 2026)."""

from __future__ import annotations

import datetime as dt
import re

from commissioning.errors import InputError

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
QUARTER_FORMAT = "YYYYQn, a calendar quarter such as 2026Q3 (July-September 2026)"
YEARS = range(1990, 2101)   # a return or result outside these years is a typing mistake
MONTHS = {1: "January-March", 2: "April-June", 3: "July-September", 4: "October-December"}


def parse_quarter(text: str, *, file=None, line=None, column=None) -> tuple[int, int]:
    """(year, quarter 1-4) of ``2026Q3``; :class:`InputError` naming the place otherwise."""
    match = QUARTER_RE.match(str(text).strip().upper())
    if not match:
        raise InputError(f"quarter {text!r}", file=file, line=line, column=column, expected=QUARTER_FORMAT)
    year = int(match.group(1))
    if year not in YEARS:
        raise InputError(f"quarter {text!r} is outside {YEARS[0]}-{YEARS[-1]}", file=file, line=line,
                         column=column, expected=QUARTER_FORMAT)
    return year, int(match.group(2))


def check_quarter(text: str, **where) -> str:
    year, q = parse_quarter(text, **where)
    return f"{year}Q{q}"


def _index(quarter: str) -> int:
    year, q = parse_quarter(quarter)
    return year * 4 + q - 1


def _label(index: int) -> str:
    return f"{index // 4}Q{index % 4 + 1}"


def shift(quarter: str, by: int) -> str:
    """The quarter ``by`` quarters after (negative: before) ``quarter``."""
    return _label(_index(quarter) + by)


def previous(quarter: str) -> str:
    return shift(quarter, -1)


def span(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last`` inclusive (empty when ``last`` comes first)."""
    return [_label(i) for i in range(_index(first), _index(last) + 1)]


def last_day(quarter: str) -> dt.date:
    year, q = parse_quarter(quarter)
    month = 3 * q
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def due_date(quarter: str) -> dt.date:
    """The end of the month after the quarter (2026Q3 -> 2026-10-31)."""
    end = last_day(quarter)
    after = end + dt.timedelta(days=32)
    return after.replace(day=1) - dt.timedelta(days=1)


def publication_date(quarter: str) -> dt.date:
    """The day a quarter's figures are published by: the end of the month after its returns are due
    (2026Q3 -> 2026-11-30)."""
    after = due_date(quarter) + dt.timedelta(days=32)
    return after.replace(day=1) - dt.timedelta(days=1)


def describe(quarter: str) -> str:
    """``2026Q3`` -> ``July-September 2026``."""
    year, q = parse_quarter(quarter)
    return f"{MONTHS[q]} {year}"
