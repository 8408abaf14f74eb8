"""The police-survey results file: ``area_code,area_name,period_end,group,respondents,satisfied``.

One row per area, rolling 12-month window (``period_end`` ``YYYY-MM``, the window's last month) and
group (``all``, or a subgroup such as ``bame``, ``white_british``, ``disabled``, ``not_disabled``,
``vulnerable_unacknowledged``, ``domestic_abuse``, ``under_16``): how many victims answered and how
many of them were satisfied with the overall service.

Optional columns say where a figure comes from: ``source`` (a citation or a data/sources.yaml id),
``basis`` (``real``, ``estimated`` or ``illustrative``; a file without it is taken as ``real``),
``note``, and ``reported_pct``: a published percentage whose sample size was not published (then
``respondents`` and ``satisfied`` are blank, and the figure has no interval). The embedded 2012
baseline uses it, because the review gives percentages only.

Every check names the file, line and column; the whole file is checked before anything is used.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from commissioning import safeio
from commissioning.errors import InputError
from commissioning.satisfaction.areas import Areas

REQUIRED = ["area_code", "area_name", "period_end", "group", "respondents", "satisfied"]
OPTIONAL = ["reported_pct", "source", "basis", "note"]
BASES = ("real", "estimated", "illustrative")
_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_GROUP_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COLUMNS = ["area_code", "area_name", "area_kind", "period_end", "group", "respondents", "satisfied",
           "reported_pct", "source", "basis", "note", "line"]


def read_results(path: str | Path, areas: Areas | None = None) -> pd.DataFrame:
    """Read and check a results CSV; return one row per result with the columns in :data:`COLUMNS`.

    ``respondents`` and ``satisfied`` are counts of people (float, NaN for a percentage-only row);
    ``reported_pct`` is NaN unless given; ``line`` is the row's line in the file.
    """
    path = Path(path)
    text = safeio.read_text(path)
    return parse_results(text, source=path, areas=areas)


def parse_results(text: str, source: str | Path = "results", areas: Areas | None = None) -> pd.DataFrame:
    """Check results CSV ``text`` (``source`` names it in errors); see :func:`read_results`."""
    areas = areas or Areas()
    header, values, lines = safeio.parse_csv_rows(text, source)   # complete rows, not cut short
    _check_header(header, source)
    rows, seen = [], {}
    for cells, line in zip(values, lines):
        if not any(cells):
            continue
        row = _check_row(dict(zip(header, cells)), source, line, areas)
        key = (row["area_code"], row["period_end"], row["group"])
        if key in seen:
            raise InputError(f"a second row for {'/'.join(key)} (first on line {seen[key]})", file=source,
                             line=line, column="group", expected="one row per area, period_end and group")
        seen[key] = line
        rows.append(row)
    if not rows:
        raise InputError("no data rows", file=source, line=(lines[-1] if lines else 1) + 1,
                         expected="a header line and at least one result")
    return pd.DataFrame(rows, columns=COLUMNS)


def _check_header(header: list[str], source) -> None:
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise InputError(f"duplicate column(s) {duplicated}", file=source, line=1, expected="each column once")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=source, line=1, expected=",".join(REQUIRED))
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise InputError(f"unknown column(s) {unknown}", file=source, line=1,
                         expected=f"{','.join(REQUIRED)} and optionally {','.join(OPTIONAL)}")


def _check_row(raw: dict[str, str], source, line: int, areas: Areas) -> dict:
    def fail(column: str, message: str, expected: str | None = None):
        raise InputError(message, file=source, line=line, column=column, expected=expected)

    code = raw["area_code"].upper()
    kind = areas.kind(code)
    if kind is None:
        fail("area_code", f"unknown area {raw['area_code']!r}",
             "a London borough's ONS code (E09...), E12000007 (London), a police force area (E23.../W15...) "
             "or a BCU code listed in the areas file")
    if not _PERIOD_RE.match(raw["period_end"]):
        fail("period_end", f"period {raw['period_end']!r}", "YYYY-MM, the last month of the 12-month window")
    if not _GROUP_RE.match(raw["group"]):
        fail("group", f"group {raw['group']!r}", "'all' or a lower-case name such as bame, disabled, under_16")
    basis = raw.get("basis") or "real"
    if basis not in BASES:
        fail("basis", f"basis {basis!r}", " or ".join(BASES))
    reported = _number(raw.get("reported_pct", ""), "reported_pct", fail, whole=False, blank_ok=True)
    if not math.isnan(reported) and not 0 <= reported <= 100:
        fail("reported_pct", f"{reported:g} is outside 0-100", "a percentage")
    blank_counts = raw["respondents"] == "" and raw["satisfied"] == ""
    if blank_counts and math.isnan(reported):
        fail("respondents", "empty", "a whole number of respondents (blank only with a reported_pct)")
    if blank_counts:
        respondents = satisfied = math.nan
    else:
        respondents = _number(raw["respondents"], "respondents", fail)
        satisfied = _number(raw["satisfied"], "satisfied", fail)
        if respondents < 1:
            fail("respondents", "0 respondents", "at least 1 (leave the row out when nobody answered)")
        if satisfied > respondents:
            fail("satisfied", f"{satisfied:g} satisfied is more than the {respondents:g} respondents",
                 "at most the number of respondents")
        if not math.isnan(reported):
            fail("reported_pct", "given as well as counts", "either counts or a reported_pct, not both")
    return {"area_code": code, "area_name": areas.name(code, raw["area_name"]), "area_kind": kind,
            "period_end": raw["period_end"], "group": raw["group"], "respondents": respondents,
            "satisfied": satisfied, "reported_pct": reported, "source": raw.get("source", ""),
            "basis": basis, "note": raw.get("note", ""), "line": line}


def _number(text: str, column: str, fail, *, whole: bool = True, blank_ok: bool = False) -> float:
    kind = "a whole number, 0 or more" if whole else "a number"
    if text == "":
        if blank_ok:
            return math.nan
        fail(column, "empty", kind)
    try:
        value = float(text)
    except ValueError:
        fail(column, f"{text!r} is not a number", kind)
    if not math.isfinite(value):
        fail(column, f"{text!r} is not a finite number", kind)
    if value < 0:
        fail(column, f"{text} is negative", kind)
    if whole and value != int(value):
        fail(column, f"{text} is not a whole number", kind)
    return value
