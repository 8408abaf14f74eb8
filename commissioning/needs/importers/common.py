"""What every importer shares: the result types (:class:`Import`, :class:`DemandUpdate`),
the MPS and ONS constants, and month and count parsing with located errors."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.boroughs import normalise_name, resolve_code
from commissioning.errors import InputError, csv_line
from commissioning.needs.dataset import (
    POPULATION_COLUMNS,
)

# The City of London is policed by the City of London Police, so it is not in MPS data.
MPS_NOT_COVERED = ("E09000001",)
# Rows of MPS files that are not a borough; they are left out (and reported), never an error.
NON_BOROUGH_LABELS = frozenset(normalise_name(s) for s in (
    "Unknown", "London Heathrow and London City Airports", "Other", "Aviation Security (SO18)"))
MPS_LICENCE = "Open Government Licence v2.0"
MPS_PUBLISHER = "Metropolitan Police Service via the London Datastore"
ONS_LICENCE = "Open Government Licence v3.0"

DEMAND_OPTIONAL = ["period", "source", "illustrative", "note", "estimated"]
ILLUSTRATIVE_DEMAND = "illustrative_demand"  # the sources.yaml entry of the generated default demand
POPULATION_OUT = POPULATION_COLUMNS + ["year", "source", "adult_women_method"]

# services.csv column -> register headers accepted for it (compared after lower-casing and folding
# punctuation to spaces, so "Service ID", "service_id" and "SERVICE-ID" are the same header).
REGISTER_HEADERS: dict[str, tuple[str, ...]] = {
    "service_id": ("Service ID", "ID", "Ref", "Reference"),
    "provider": ("Provider", "Organisation", "Organization", "Provider name", "Organisation name"),
    "service": ("Service", "Type", "Service type"),
    "capacity": ("Capacity", "FTE", "Bed spaces", "Spaces", "Beds"),
    "areas": ("Areas", "Areas served", "Boroughs", "Boroughs served", "Borough", "Area"),
    "lat": ("Lat", "Latitude"),
    "lon": ("Lon", "Lng", "Longitude"),
    "confidential": ("Confidential",),
    "specialism": ("Specialism", "Specialist", "Specialist focus"),
    "illustrative": ("Illustrative",),
    "note": ("Note", "Notes", "Comments"),
}
PAN_LONDON_WORDS = {"london", "pan london", "all", "all boroughs", "all london"}


@dataclass(frozen=True)
class Import:
    """The result of an importer, not yet written.

    ``table``: the complete new file (text cells, output column order); ``notes``: lines for the
    user (window chosen, totals, rows left out); ``changes``: one line per row that differs from
    the existing file (for ``--dry-run``); ``validate(path)``: the dataset reader for this file;
    ``cite(sources)``: the ``sources.yaml`` list (list of dicts) that goes with the new file, given
    the current one (see :func:`source_changes`).
    """

    file_name: str
    table: pd.DataFrame
    validate: Callable[[Path], object] = field(repr=False)
    notes: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    cite: Callable[[list[dict]], list[dict]] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DemandUpdate:
    """New demand figures: ``values[measure][code]`` (counts) for one period; ``row_notes[measure]``
    goes in the note column of that measure's rows; ``citation`` is the importer's ``sources.yaml``
    entry (:func:`merge_demand` adds what happened to the authorities the source does not cover)."""

    values: dict[str, dict[str, float]]
    period: str
    source: str
    row_notes: dict[str, str]
    citation: dict = field(default_factory=dict)
    not_covered: tuple[str, ...] = MPS_NOT_COVERED
    notes: list[str] = field(default_factory=list)
    estimated: bool = False  # the figures are estimates (e.g. Marac cases apportioned from force totals)


# ---------------------------------------------------------------------------------------------
# months and counts

def _month(text: str, path, line=None, column=None) -> int:
    """'YYYYMM' or 'YYYY-MM' -> months since year 0 (an int, so windows are ranges)."""
    m = re.fullmatch(r"(\d{4})-?(\d{2})", str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"{text!r} is not a month", file=path, line=line, column=column,
                         expected="a month as YYYYMM or YYYY-MM, e.g. 202602")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _month_text(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def _period_words(window: list[int]) -> str:
    """'March 2025 to February 2026' for a window of months (one month: 'March 2025')."""
    first, last = (f"{calendar.month_name[m % 12 + 1]} {m // 12}" for m in (window[0], window[-1]))
    return first if first == last else f"{first} to {last}"


def _window(available: list[int], months: int, end: str | None, path) -> list[int]:
    """The ``months`` consecutive months ending at ``end`` (default: the latest in the file)."""
    if months < 1:
        raise InputError(f"--months {months}", expected="a number of months >= 1")
    have = set(available)
    last = _month(end, path="--end") if end else max(have)
    window = list(range(last - months + 1, last + 1))
    missing = [m for m in window if m not in have]
    if missing:
        raise InputError(f"the {months}-month window {_month_text(window[0])} to {_month_text(last)} "
                         f"is not in the file (it has {_month_text(min(have))} to {_month_text(max(have))}; "
                         f"missing {_month_text(missing[0])}" + (" ..." if len(missing) > 1 else "") + ")",
                         file=path, expected="--months and --end within the months the file covers")
    return window


def _counts(frame: pd.DataFrame, columns: list[str], path) -> pd.DataFrame:
    """Parse count columns (commas allowed) of ``frame``; its index is the 0-based row of the file."""
    out = {}
    for column in columns:
        text = frame[column].str.replace(",", "", regex=False)
        values = pd.to_numeric(text.where(text != "", None), errors="coerce").astype(float)
        bad = ~np.isfinite(values) | (values < 0) | (values % 1 != 0)
        if bad.any():
            i = bad.idxmax()
            shown = frame.at[i, column]
            raise InputError(f"{shown!r} is not a count" if shown else "blank cell", file=path,
                             line=csv_line(i), column=column, expected="a whole number >= 0")
        out[column] = values.astype(float)
    return pd.DataFrame(out, index=frame.index)


def _fmt(value: float) -> str:
    if pd.isna(value):
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _borough(label: str, path, line: int, column: str, authorities) -> str | None:
    """ONS code of an MPS borough label, or None for a known non-borough row ('Unknown', airports)."""
    if normalise_name(label) in NON_BOROUGH_LABELS:
        return None
    return resolve_code(label, file=path, line=line, column=column, authorities=authorities)


def _check_complete(found: set[str], not_covered, authorities, path, what: str) -> None:
    missing = [c for c in authorities if c not in found and c not in not_covered]
    if missing:
        raise InputError(f"no {what} rows for {', '.join(f'{c} {authorities[c]}' for c in missing[:5])}"
                         + (" ..." if len(missing) > 5 else ""), file=path,
                         expected=f"rows for every authority except {', '.join(not_covered) or 'none'}")
