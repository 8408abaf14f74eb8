"""Importers for the real formats a commissioner holds, so illustrative data can be replaced.

===================  =========================================================  ==================
importer             input                                                      writes
===================  =========================================================  ==================
:func:`mps_crime`    London Datastore "MPS Borough Level Crime": MajorText,     demand.csv measures
                     MinorText, BoroughName, then one column per month YYYYMM   sexual_offences,
                                                                                rape_offences
:func:`mps_vawg`     MPS violence against women and girls by borough and        vawg_offences,
                     month: code, name, month (YYYY-MM), vawg_offences,         vawg_victims (and
                     vawg_victims                                               domestic_abuse_offences
                                                                                as a labelled proxy)
:func:`ons_population`  an ONS table by authority (code, name, population and   population.csv
                     optionally adult women columns)
:func:`services_register`  a services register (CSV/XLSX) with the headers     services.csv
                     listed in :data:`REGISTER_HEADERS`
===================  =========================================================  ==================

Each importer reads and checks its whole input and returns an :class:`Import`: the complete new
file as a table of text cells, and how the citations in ``sources.yaml`` change with it (the
importer's own entry, with the period actually imported, replaces the old one; entries the new file
no longer uses are dropped or narrowed). Nothing is written until :func:`write_import`, which
writes temporary files, validates them with the same readers
:func:`~commissioning.needs.dataset.load_dataset` uses, and only then commits them together
(:mod:`commissioning.needs.commit`, a redo journal), so a failed or killed import never leaves a
half-written file or citations that disagree with the figures.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd
import yaml

from commissioning.boroughs import LONDON_AUTHORITIES, PAN_LONDON, is_ons_code, normalise_name, resolve_code
from commissioning.errors import InputError, csv_line
from commissioning.needs import commit
from commissioning.needs.dataset import (
    DEMAND_COLUMNS,
    POPULATION_COLUMNS,
    SERVICE_COLUMNS,
    SERVICE_OPTIONAL,
    _resolve_codes,
    read_demand,
    read_population,
    read_services,
    read_sources,
)
from commissioning.needs.models import load_benchmarks
from commissioning.needs.tables import TRUE, read_table
from commissioning.safeio import csv_text

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


# ---------------------------------------------------------------------------------------------
# MPS borough level crime

def mps_crime(path: str | Path, months: int = 12, end: str | None = None,
              authorities: dict[str, str] | None = None) -> DemandUpdate:
    """Recorded rape and sexual offences per borough, summed over a window of months.

    ``sexual_offences`` = all minor categories of MajorText "SEXUAL OFFENCES" (RAPE and OTHER
    SEXUAL OFFENCES); ``rape_offences`` = MinorText "RAPE". Counts are offences by where they
    happened. Non-borough rows ("Unknown", airports) are left out and reported in ``notes``.
    """
    path = Path(path)
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    frame = read_table(path, ["MajorText", "MinorText", "BoroughName"])
    month_columns = [c for c in frame.columns if re.fullmatch(r"\d{6}", c)]
    if not month_columns:
        raise InputError("no month columns", file=path, line=1,
                         expected="one column per month named YYYYMM after BoroughName, e.g. 202602")
    month_of = {c: _month(c, path, line=1, column=c) for c in month_columns}
    window = _window(sorted(month_of.values()), months, end, path)
    columns = [c for c in month_columns if month_of[c] in set(window)]
    sexual = frame.loc[frame["MajorText"].str.upper() == "SEXUAL OFFENCES"]
    if sexual.empty:
        raise InputError("no SEXUAL OFFENCES rows", file=path, column="MajorText",
                         expected="rows with MajorText 'SEXUAL OFFENCES'")
    totals = _counts(sexual, columns, path).sum(axis=1)
    values: dict[str, dict[str, float]] = {"sexual_offences": {}, "rape_offences": {}}
    seen: dict[tuple[str, str], int] = {}
    skipped: dict[str, float] = {}
    for i, label, minor in zip(sexual.index, sexual["BoroughName"], sexual["MinorText"].str.upper()):
        code = _borough(label, path, csv_line(i), "BoroughName", authorities)
        if code is None:
            skipped[label] = skipped.get(label, 0.0) + totals[i]
            continue
        if (code, minor) in seen:
            raise InputError(f"{minor} for {label} appears twice (first on line {seen[code, minor]})",
                             file=path, line=csv_line(i), column="MinorText",
                             expected="one row per borough and minor category")
        seen[code, minor] = csv_line(i)
        values["sexual_offences"][code] = values["sexual_offences"].get(code, 0.0) + totals[i]
        if minor == "RAPE":
            values["rape_offences"][code] = totals[i]
    _check_complete(set(values["sexual_offences"]), MPS_NOT_COVERED, authorities, path, "SEXUAL OFFENCES")
    _check_complete(set(values["rape_offences"]), MPS_NOT_COVERED, authorities, path, "RAPE")
    period = f"{_month_text(window[0])}/{_month_text(window[-1])}"
    notes = [f"{path.name}: months {_month_text(window[0])} to {_month_text(window[-1])} ({months})"]
    notes += [f"left out non-borough row {label!r}: {_fmt(total)} sexual offences" for label, total in skipped.items()]
    for measure, by_code in values.items():
        notes.append(f"{measure}: {_fmt(sum(by_code.values()))} over {len(by_code)} boroughs")
    citation = {
        "id": "mps_sexual_offences",
        "name": "MPS recorded rape and other sexual offences by borough (Borough Level Crime)",
        "publisher": MPS_PUBLISHER, "period": _period_words(window), "licence": MPS_LICENCE,
        "url": "https://data.london.gov.uk/dataset/recorded_crime_summary",
        "used_in": "data/demand.csv (sexual_offences, rape_offences)", "illustrative": False, "file": path.name,
        "note": f"Imported from {path.name} (months {_month_text(window[0])} to {_month_text(window[-1])}) with "
                "`python -m commissioning import mps-crime`. Offences are counted where they happened; rows "
                "that are not a borough (Unknown, airports) are left out."}
    return DemandUpdate(values=values, period=period, notes=notes, citation=citation,
                        source=f"MPS recorded crime, London Datastore 'MPS Borough Level Crime' ({path.name}), "
                               f"{MPS_LICENCE}",
                        row_notes=dict.fromkeys(values, "real: MPS recorded offences by location of offence"))


# ---------------------------------------------------------------------------------------------
# MPS violence against women and girls

def mps_vawg(path: str | Path, months: int = 12, end: str | None = None, as_domestic_abuse: bool = False,
             authorities: dict[str, str] | None = None) -> DemandUpdate:
    """MPS VAWG offences and victims per borough, summed over a window of months.

    Input: the long monthly layout ``code, name, month, vawg_offences, vawg_victims``. With
    ``as_domestic_abuse`` the offences are also written as ``domestic_abuse_offences``: VAWG is the
    best public borough proxy for domestic-abuse demand but is wider (it includes sexual offences,
    stalking and harassment), so those rows carry the note "VAWG proxy".
    """
    path = Path(path)
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    frame = read_table(path, ["code", "name", "month", "vawg_offences", "vawg_victims"])
    month = pd.Series([_month(m, path, csv_line(i), "month") for i, m in enumerate(frame["month"])],
                      index=frame.index)
    window = _window(sorted(set(month)), months, end, path)
    counts = _counts(frame, ["vawg_offences", "vawg_victims"], path)
    codes, skipped, in_window_months = [], {}, set(window)
    for i, (code, name) in enumerate(zip(frame["code"], frame["name"])):
        label, column = (code, "code") if code else (name, "name")
        resolved = None if normalise_name(name) in NON_BOROUGH_LABELS and not is_ons_code(code) else \
            _borough(label, path, csv_line(i), column, authorities)
        if resolved is None and month[i] in in_window_months:
            skipped[label] = skipped.get(label, 0.0) + counts.at[i, "vawg_offences"]
        codes.append(resolved)
    frame = frame.assign(code=codes, m=month)
    in_window = frame["m"].isin(window) & frame["code"].notna()
    dup = frame.loc[in_window].duplicated(["code", "m"])
    if dup.any():
        i = dup.index[dup.to_numpy()][0]
        raise InputError(f"{frame.at[i, 'code']} {_month_text(frame.at[i, 'm'])} appears twice", file=path,
                         line=csv_line(i), column="month", expected="one row per borough and month")
    per_code = frame.loc[in_window].groupby("code")["m"].nunique()
    short = per_code[per_code < len(window)]
    if len(short):
        code = short.index[0]
        have = set(frame.loc[in_window & (frame["code"] == code), "m"])
        gap = next(m for m in window if m not in have)
        raise InputError(f"no row for {code} {authorities[code]} in {_month_text(gap)}", file=path,
                         column="month", expected="every month of the window for every borough")
    _check_complete(set(per_code.index), MPS_NOT_COVERED, authorities, path, "VAWG")
    sums = counts.loc[in_window].groupby(frame.loc[in_window, "code"]).sum()
    values = {"vawg_offences": sums["vawg_offences"].to_dict(), "vawg_victims": sums["vawg_victims"].to_dict()}
    if as_domestic_abuse:
        values["domestic_abuse_offences"] = dict(values["vawg_offences"])
    period = f"{_month_text(window[0])}/{_month_text(window[-1])}"
    notes = [f"{path.name}: months {_month_text(window[0])} to {_month_text(window[-1])} ({months})"]
    notes += [f"left out non-borough row {label!r}: {_fmt(total)} VAWG offences" for label, total in skipped.items()]
    for measure, by_code in values.items():
        notes.append(f"{measure}: {_fmt(sum(by_code.values()))} over {len(by_code)} boroughs")
    if as_domestic_abuse:
        notes.append("domestic_abuse_offences = VAWG offences (a proxy: VAWG is wider than domestic abuse)")
    citation = {
        "id": "mps_vawg",
        "name": "MPS violence against women and girls (VAWG) offences and victims by borough",
        "publisher": MPS_PUBLISHER, "period": _period_words(window), "licence": MPS_LICENCE,
        "url": "https://data.london.gov.uk/dataset/mps-violence-against-women-and-girls-dashboard-data-2yod5",
        "used_in": "data/demand.csv (vawg_offences, vawg_victims"
                   + (", and domestic_abuse_offences as a VAWG proxy)" if as_domestic_abuse else ")"),
        "illustrative": False, "file": path.name,
        "note": f"Imported from {path.name} (months {_month_text(window[0])} to {_month_text(window[-1])}) with "
                "`python -m commissioning import mps-vawg`. VAWG covers domestic abuse, rape and other sexual "
                "offences, stalking and harassment among others: "
                + ("used as domestic_abuse_offences it is a proxy, wider than domestic abuse."
                   if as_domestic_abuse else "it is wider than domestic abuse.")}
    return DemandUpdate(
        values=values, period=period, notes=notes, citation=citation,
        source=f"MPS violence against women and girls, London Datastore ({path.name}), {MPS_LICENCE}",
        row_notes={"vawg_offences": "real: MPS recorded VAWG offences by borough",
                   "vawg_victims": "real: MPS VAWG victims by borough",
                   "domestic_abuse_offences": "VAWG proxy: MPS VAWG offences, which also count sexual offences, "
                                              "stalking and harassment, not only domestic abuse"})


# ---------------------------------------------------------------------------------------------
# merging into demand.csv

def merge_demand(update: DemandUpdate, existing: Path | None,
                 authorities: dict[str, str] | None = None) -> Import:
    """demand.csv with the rows of the imported measures replaced, other measures kept.

    An authority the source does not cover (the City of London for MPS data) keeps its existing
    row for that measure if it has one (with its illustrative flag); otherwise it gets a row with a
    blank value (no figure). Rows keep their order; new rows are appended. The citation
    (``update.citation``) says which authorities the source covers and what the others kept; the
    ``illustrative_demand`` source is narrowed to the measures that still have illustrative rows,
    and dropped when none are left.
    """
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    if existing is not None and Path(existing).exists():
        read_demand(Path(existing), authorities)  # the existing file must be valid first
        raw = read_table(existing, DEMAND_COLUMNS, optional=DEMAND_OPTIONAL)
        raw["code"] = _resolve_codes(raw, Path(existing), authorities).to_numpy()
    else:
        raw = pd.DataFrame(columns=DEMAND_COLUMNS + DEMAND_OPTIONAL, dtype=str)
    old = {(c, m): row for c, m, row in zip(raw["code"], raw["measure"], raw.to_dict("records"))}
    new: dict[tuple[str, str], dict] = {}
    changes = []
    kept: dict[str, list[str]] = {}  # authority the source lacks -> measures that keep their existing row
    for measure, by_code in update.values.items():
        for code, name in authorities.items():
            key = (code, measure)
            if code in by_code:
                new[key] = {"code": code, "name": name, "measure": measure, "value": _fmt(by_code[code]),
                            "period": update.period, "source": update.source, "illustrative": "false",
                            "note": update.row_notes[measure], "estimated": str(update.estimated).lower()}
            elif key in old:
                changes.append(f"{code} {name:<24} {measure:<24} kept {old[key]['value'] or '(blank)'} "
                               "(no figure in the source)")
                kept.setdefault(code, []).append(measure)
                continue
            else:
                kept.setdefault(code, [])
                new[key] = {"code": code, "name": name, "measure": measure, "value": "", "period": update.period,
                            "source": update.source, "illustrative": "false",
                            "note": "no figure: the City of London is policed by the City of London Police"
                                    if code in MPS_NOT_COVERED else "no figure in the source"}
            before = f"{old[key]['value'] or '(blank)'} ({old[key]['period']})" if key in old else "(new row)"
            after = f"{new[key]['value'] or '(blank)'} ({update.period})"
            changes.append(f"{code} {name:<24} {measure:<24} {before} -> {after}")
    rows, pending = [], dict(new)
    for record in raw.to_dict("records"):
        key = (record["code"], record["measure"])
        rows.append(pending.pop(key) if key in pending else record)
    rows += pending.values()
    columns = list(dict.fromkeys(list(raw.columns) + DEMAND_COLUMNS + DEMAND_OPTIONAL))
    table = pd.DataFrame(rows, columns=columns).fillna("")
    entry = None
    if update.citation:
        uncovered = []
        for code, measures in kept.items():
            why = " is policed by the City of London Police, so it" if code in MPS_NOT_COVERED else ""
            flagged = [m for m in measures if str(old[code, m].get("illustrative", "")).lower() in TRUE]
            done = [f"its earlier figures are kept for {', '.join(measures)}" + (" (illustrative)" if flagged else "")
                    ] if measures else []
            blank = [m for m in update.values if m not in measures]
            done += [f"no figure for {', '.join(blank)}"] if blank else []
            uncovered.append(f"{authorities[code]}{why} is not in the source: {'; '.join(done)}.")
        covers = f"The source covers {len(authorities) - len(kept)} of {len(authorities)} authorities."
        entry = {**update.citation, "note": " ".join([update.citation.get("note", ""), covers, *uncovered]).strip()}
    used = _illustrative_use(table, "data/demand.csv")

    def cite(sources: list[dict]) -> list[dict]:
        return _revise_sources(sources, entry, {ILLUSTRATIVE_DEMAND: {"used_in": used} if used else None})

    return Import("demand.csv", table, lambda p: read_demand(p, authorities), list(update.notes), changes, cite)


def _illustrative_use(table: pd.DataFrame, file: str) -> str | None:
    """``used_in`` text for the illustrative rows of a demand table, e.g. 'data/demand.csv
    (marac_cases; sexual_offences: City of London only)'; None when no row is illustrative."""
    flagged = table[table["illustrative"].astype(str).str.strip().str.lower().isin(TRUE)]
    if flagged.empty:
        return None
    groups: dict[str, list[str]] = {}
    for measure, rows in flagged.groupby("measure", sort=False):
        total = int((table["measure"] == measure).sum())
        where = ("" if len(rows) == total else f"{', '.join(rows['name'])} only" if len(rows) <= 3
                 else f"{len(rows)} of {total} authorities")
        groups.setdefault(where, []).append(measure)
    parts = [", ".join(groups.pop(""))] if "" in groups else []
    parts += [f"{', '.join(measures)}: {where}" for where, measures in groups.items()]
    return f"{file} ({'; '.join(parts)})"


# ---------------------------------------------------------------------------------------------
# ONS population

def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def _pick_column(frame, given: str | None, path, *, what: str, option: str,
                 pattern: str | None = None, exclude=()) -> str | None:
    if given is not None:
        if given not in frame.columns:
            raise InputError(f"no column {given!r} ({option}); columns are {list(frame.columns)}", file=path,
                             line=1, column=given, expected=what)
        return given
    if pattern is None:
        return None
    matches = [c for c in frame.columns if c not in exclude and re.search(pattern, _header_key(c))]
    return matches[0] if matches else None


def ons_population(path: str | Path, existing: Path | None = None, *, code_column: str | None = None,
                   name_column: str | None = None, population_column: str | None = None,
                   adult_women_column: str | None = None, year: int | None = None, source: str | None = None,
                   authorities: dict[str, str] | None = None) -> Import:
    """population.csv from an ONS table by authority.

    Columns are chosen by the options, else guessed: code = the first header with "code"/"cd"/"gss",
    name = the first with "name"; population = the header containing ``year`` if given, else a
    column called "population", else the column with the latest year in its header. Rows for
    codes outside the area (e.g. England, regions, other districts) are left out. Without an adult
    women column, adult_women is kept from ``existing`` and ``adult_women_method`` says it is from
    another year. The citation is the ``ons_population`` source; other sources of population.csv
    are dropped, or narrowed to adult_women when that column is kept.
    """
    path = Path(path)
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    frame = read_table(path)
    code_col = _pick_column(frame, code_column, path, what="a column of ONS codes", option="--code-column",
                            pattern=r"(^|\s)(code|cd|gss)(\s|$)|code$|cd$")
    name_col = _pick_column(frame, name_column, path, what="a column of authority names", option="--name-column",
                            pattern=r"name", exclude=(code_col,))
    if code_col is None and name_col is None:
        raise InputError(f"no code or name column; columns are {list(frame.columns)}", file=path, line=1,
                         expected="--code-column or --name-column")
    women_col = _pick_column(frame, adult_women_column, path, what="a count of adult women",
                             option="--adult-women-column")
    taken = {code_col, name_col, women_col}
    if population_column is not None:
        pop_col = _pick_column(frame, population_column, path, what="a population count",
                               option="--population-column")
    else:
        candidates = [c for c in frame.columns if c not in taken]
        if year is not None:
            matches = [c for c in candidates if str(year) in c]
        elif any(_header_key(c) == "population" for c in candidates):
            matches = [c for c in candidates if _header_key(c) == "population"]
        else:
            years = {c: max(map(int, re.findall(r"(?:19|20)\d\d", c))) for c in candidates
                     if re.search(r"(?:19|20)\d\d", c)}
            matches = [c for c, y in years.items() if y == max(years.values())] if years else []
        if len(matches) != 1:
            raise InputError(f"cannot tell which column is the population ({'several' if matches else 'none'} "
                             f"match{' year ' + str(year) if year else ''}: {matches or list(frame.columns)})",
                             file=path, line=1, expected="--population-column NAME")
        pop_col = matches[0]
    if year is None:
        found = re.findall(r"(?:19|20)\d\d", pop_col)
        year = int(found[-1]) if found else None
    keep, codes, left_out = [], [], 0
    for i in frame.index:
        raw_code = frame.at[i, code_col] if code_col else ""
        if raw_code and is_ons_code(raw_code) and raw_code.strip().upper() not in authorities:
            left_out += 1
            continue
        value, column = (raw_code, code_col) if raw_code else (frame.at[i, name_col] if name_col else "", name_col)
        codes.append(resolve_code(value, file=path, line=csv_line(i), column=column, authorities=authorities))
        keep.append(i)
    rows = frame.loc[keep].assign(code=codes)
    dup = rows["code"].duplicated()
    if dup.any():
        i = dup.index[dup.to_numpy()][0]
        raise InputError(f"authority {rows.at[i, 'code']} appears twice", file=path, line=csv_line(i),
                         column=code_col or name_col, expected="one row per authority")
    _check_complete(set(rows["code"]), (), authorities, path, "population")
    numbers = _counts(rows, [c for c in (pop_col, women_col) if c], path)
    rows = rows.assign(population=numbers[pop_col]).set_index("code")
    old_raw = None
    if existing is not None and Path(existing).exists():
        read_population(Path(existing), authorities)
        old_raw = read_table(existing, POPULATION_COLUMNS)
        old_raw.index = _resolve_codes(old_raw, Path(existing), authorities).to_numpy()
    if women_col:
        women = numbers[women_col].set_axis(rows.index)
        method = f"imported from {path.name} column {women_col!r}"
    elif old_raw is not None:
        women = old_raw["adult_women"]
        old_year = old_raw["year"] if "year" in old_raw else pd.Series("an earlier year", index=old_raw.index)
        old_method = (old_raw["adult_women_method"] if "adult_women_method" in old_raw
                      else pd.Series("", index=old_raw.index))
        method = {c: f"kept from the {old_year[c] or 'earlier'} population.csv, not {year or 'this year'} "
                     f"(the imported table has no adult-women column)" + (f"; {old_method[c]}" if old_method[c] else "")
                  for c in authorities}
    else:
        raise InputError("the table has no adult-women column and there is no population.csv to keep "
                         "adult_women from", file=path, expected="--adult-women-column NAME")
    source = source or f"ONS population table ({path.name}, column {pop_col}), Open Government Licence v3.0"
    columns = list(dict.fromkeys((list(old_raw.columns) if old_raw is not None else []) + POPULATION_OUT))
    out, changes = [], []
    for code, name in sorted(authorities.items()):
        row = dict(old_raw.loc[code]) if old_raw is not None else {}
        row.update(code=code, name=name, population=_fmt(rows.at[code, "population"]),
                   adult_women=_fmt(women[code]) if women_col else women[code],
                   year="" if year is None else str(year), source=source,
                   adult_women_method=method[code] if isinstance(method, dict) else method)
        if old_raw is not None and old_raw.at[code, "population"] != row["population"]:
            changes.append(f"{code} {name:<24} population {old_raw.at[code, 'population']} -> {row['population']}")
        out.append(row)
    table = pd.DataFrame(out, columns=columns).fillna("")
    total = rows["population"].sum()
    notes = [f"{path.name}: population from column {pop_col!r}" + (f" (year {year})" if year else ""),
             f"population: {_fmt(total)} over {len(rows)} authorities"]
    if left_out:
        notes.append(f"left out {left_out} rows for codes outside the area")
    if not women_col:
        notes.append("adult_women kept from the existing population.csv (a different year; see adult_women_method)")
    period = (f"mid-{year}" if year and re.search(rf"mid\W*{year}", pop_col.lower()) else str(year) if year
              else f"not stated in {path.name}")
    entry = {
        "id": "ons_population", "name": "ONS population by authority" + (f", {year}" if year else ""),
        "publisher": "Office for National Statistics", "period": period, "licence": ONS_LICENCE,
        "url": "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates",
        "used_in": f"data/population.csv (population{', adult_women' if women_col else ''})",
        "illustrative": False, "file": path.name,
        "note": f"Imported from {path.name} (population from column {pop_col!r}"
                + (f", adult women from column {women_col!r}" if women_col else "")
                + ") with `python -m commissioning import ons-population`."
                + ("" if women_col else " adult_women is kept from the earlier population.csv, so it is not "
                   f"for {year or 'this year'} (see its adult_women_method column).")}

    def cite(sources: list[dict]) -> list[dict]:
        narrowed = None if women_col else {"used_in": "data/population.csv (adult_women only)"}
        return _revise_sources(sources, entry, _superseded(sources, "data/population.csv", entry["id"], narrowed))

    return Import("population.csv", table, lambda p: read_population(p, authorities), notes, changes, cite)


# ---------------------------------------------------------------------------------------------
# services register

def _register_columns(frame: pd.DataFrame, path) -> dict[str, list[str]]:
    """services.csv column -> the register columns that hold it (in the register's order)."""
    lookup = {_header_key(h): target for target, headers in REGISTER_HEADERS.items() for h in headers}
    lookup.update({_header_key(t): t for t in REGISTER_HEADERS})
    found: dict[str, list[str]] = {}
    for column in frame.columns:
        target = lookup.get(_header_key(column))
        if target:
            found.setdefault(target, []).append(column)
    missing = [t for t in ("provider", "service", "capacity", "areas") if t not in found]
    if missing:
        accepted = "; ".join(f"{t}: {', '.join(repr(h) for h in REGISTER_HEADERS[t])}" for t in missing)
        raise InputError(f"no column for {missing}; found {list(frame.columns)}", file=path, line=1,
                         column=missing[0], expected=f"a header such as {accepted}")
    return found


def _coalesce(frame: pd.DataFrame, columns: list[str], path) -> tuple[pd.Series, pd.Series]:
    """One value per row from several register columns (e.g. 'FTE' and 'Bed spaces')."""
    filled = pd.DataFrame({c: frame[c] != "" for c in columns})
    both = filled.sum(axis=1) > 1
    if both.any():
        i = both.idxmax()
        raise InputError(f"both {' and '.join(repr(c) for c in columns if filled.at[i, c])} are filled",
                         file=path, line=csv_line(i), column=columns[1], expected="one of them per row")
    source = filled.idxmax(axis=1).where(filled.any(axis=1), columns[0])
    values = pd.Series([frame.at[i, c] for i, c in source.items()], index=frame.index)
    return values, source


def services_register(path: str | Path, benchmarks: str | Path, existing: Path | None = None,
                      authorities: dict[str, str] | None = None, *, publisher: str | None = None,
                      period: str | None = None, licence: str | None = None) -> Import:
    """services.csv from a services register (CSV or XLSX).

    Headers are matched by :data:`REGISTER_HEADERS`. Service types are folded to the benchmark
    keys ("IDVA" -> idva, "LD advocate" -> ld_advocate); areas may be names or codes separated by
    ``;`` or ``,``, or "Pan-London"; a refuge with a blank Confidential cell is confidential (an
    explicit "no" is an error). Validation is :func:`~commissioning.needs.dataset.read_services`, with
    errors pointing at the register's own file, line and column. Without an id column, ids are
    R001, R002, ... in register order. The citation is the ``services_register`` source
    (``publisher``, ``period`` and ``licence`` describe the register; a register does not state
    them itself); every other source of services.csv is dropped, since the register replaces it.
    """
    path = Path(path)
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    frame = read_table(path)
    found = _register_columns(frame, path)
    out = pd.DataFrame(index=frame.index)
    origin: dict[str, pd.Series] = {}
    for target in SERVICE_COLUMNS + SERVICE_OPTIONAL:
        if target in found:
            out[target], origin[target] = _coalesce(frame, found[target], path)
        else:
            out[target] = ""
            origin[target] = pd.Series(target, index=frame.index)
    if "service_id" not in found:
        out["service_id"] = [f"R{i + 1:03d}" for i in range(len(frame))]
    out["service"] = out["service"].map(lambda s: re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_"))

    def areas(text: str) -> str:
        parts = [p.strip() for p in re.split(r"[;,]", text) if p.strip()]
        return ";".join(PAN_LONDON if _header_key(p) in PAN_LONDON_WORDS else p for p in parts)

    out["areas"] = out["areas"].map(areas)
    refuge_blank = (out["service"] == "refuge") & (out["confidential"] == "")
    out.loc[refuge_blank, "confidential"] = "true"
    bench = load_benchmarks(benchmarks)
    with TemporaryDirectory() as tmp:
        mapped = Path(tmp) / "services.csv"
        out.to_csv(mapped, index=False)
        try:
            services = read_services(mapped, authorities, list(bench.services))
        except InputError as err:
            column = err.column
            if err.line is not None and column in origin:
                column = origin[column].iloc[err.line - 2]
            raise InputError(err.message, file=path, line=err.line, column=column, expected=err.expected) from None
    all_codes = set(authorities)
    table = out.copy()
    table["service"] = services["service"].to_numpy()
    table["capacity"] = [_fmt(v) for v in services["capacity"]]
    table["areas"] = [PAN_LONDON if set(a) == all_codes and len(all_codes) > 1 else ";".join(a)
                      for a in services["areas"]]
    table["confidential"] = np.where(services["confidential"], "true", "false")
    table["illustrative"] = np.where(services["illustrative"], "true", "false")
    table = table[SERVICE_COLUMNS + SERVICE_OPTIONAL].reset_index(drop=True)
    notes = [f"{path.name}: {len(table)} services; columns used: "
             + ", ".join(f"{t} <- {', '.join(repr(c) for c in cols)}" for t, cols in found.items())]
    for service, rows in services.groupby("service", sort=False):
        notes.append(f"{service}: {len(rows)} services, capacity {_fmt(round(rows['capacity'].sum(), 6))}")
    changes = []
    if existing is not None and Path(existing).exists():
        old_ids = set(read_table(existing, ["service_id"])["service_id"])
        new_ids = set(table["service_id"])
        changes.append(f"services.csv: {len(old_ids)} rows -> {len(new_ids)} rows "
                       f"({len(new_ids - old_ids)} new ids, {len(old_ids - new_ids)} ids no longer listed)")
    flagged = int(services["illustrative"].sum())
    entry = {
        "id": "services_register", "name": "Services register: capacity of each service and the areas it serves",
        "publisher": publisher or "not stated (the commissioner's services register)",
        "period": period or f"not stated (register file {path.name})",
        "licence": licence or "not stated: check with the register's owner before publishing",
        "url": "", "used_in": "data/services.csv", "illustrative": flagged > 0, "file": path.name,
        "note": f"Imported from {path.name} with `python -m commissioning import services`: {len(table)} services"
                + (f", {flagged} of them marked illustrative" if flagged else "")
                + ". Refuge locations are confidential and are not published."}

    def cite(sources: list[dict]) -> list[dict]:
        return _revise_sources(sources, entry, _superseded(sources, "data/services.csv", entry["id"], None))

    return Import("services.csv", table,
                  lambda p: read_services(p, authorities, list(bench.services)), notes, changes, cite)


# ---------------------------------------------------------------------------------------------
# sources.yaml

def _revise_sources(sources: list[dict], entry: dict | None, changes: dict[str, dict | None]) -> list[dict]:
    """``sources`` with ``entry`` upserted by id and ``changes[id]`` applied to other entries
    (a dict of fields to set, or None to drop the entry; ids not present are ignored).

    The entry takes the place of the old one with its id, else of the first dropped entry, else
    goes last, so the list keeps its order.
    """
    own = entry is not None and any(s.get("id") == entry["id"] for s in sources)
    out, pending = [], entry
    for source in sources:
        sid = source.get("id")
        if entry is not None and sid == entry["id"]:
            if pending is not None:
                out.append(pending)
                pending = None
            continue
        if sid in changes:
            if changes[sid] is None:
                if pending is not None and not own:
                    out.append(pending)
                    pending = None
                continue
            source = {**source, **changes[sid]}
        out.append(source)
    return out + ([pending] if pending is not None else [])


def _superseded(sources: list[dict], file: str, own_id: str, change: dict | None) -> dict[str, dict | None]:
    """``change`` for every entry (other than ``own_id``) whose ``used_in`` begins with ``file``."""
    return {s.get("id"): change for s in sources
            if s.get("id") != own_id and str(s.get("used_in", "")).startswith(file)}


def source_changes(old: list[dict], new: list[dict]) -> list[str]:
    """One line per ``sources.yaml`` entry added, removed or changed (for ``--dry-run``)."""
    before = {s.get("id"): s for s in old}
    after = {s.get("id"): s for s in new}
    lines = [f"sources.yaml: removed {sid} ({before[sid].get('name', '')})" for sid in before if sid not in after]
    for sid, entry in after.items():
        if sid not in before:
            lines.append(f"sources.yaml: added {sid}: {entry.get('name', '')}, {entry.get('period', '')}")
            continue
        for key in dict.fromkeys([*before[sid], *entry]):
            was, now = before[sid].get(key), entry.get(key)
            if was != now:
                shown = (f"{was!r} -> {now!r}" if key != "note" and len(f"{was}{now}") < 160
                         else "changed" if key in before[sid] and key in entry else "set" if was is None else "removed")
                lines.append(f"sources.yaml: {sid} {key} {shown}")
    return lines


class _SourcesDumper(yaml.SafeDumper):
    """Long prose (notes) as folded ``>-`` blocks, as the file is written by hand."""


_SourcesDumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style=">" if len(text) > 80 and " " in text and "\n" not in text
    and text == text.strip() and "  " not in text else None))


def sources_text(sources: list[dict], previous: str = "") -> str:
    """The text of a ``sources.yaml`` holding ``sources``, keeping the comment lines at the top of
    ``previous`` (the current file's text)."""
    header = []
    for line in previous.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        header.append(line)
    header = header or [("# Every source behind the data in this directory, for citations in the app and "
                         "the PDF appendix.")]
    # width 88: PyYAML overshoots it a little when folding, so lines stay under about 100 columns
    body = yaml.dump(sources, Dumper=_SourcesDumper, sort_keys=False, allow_unicode=True, width=88)
    return "\n".join(header).rstrip("\n") + "\n" + body


# ---------------------------------------------------------------------------------------------
# writing

def updated_sources(result: Import, sources: str | Path) -> tuple[list[dict], list[dict]]:
    """The current ``sources.yaml`` list at ``sources`` (empty if there is none) and the list that
    goes with ``result`` (the same list if the importer has no citation)."""
    old = read_sources(Path(sources))
    return old, (result.cite(old) if result.cite is not None else old)


def write_import(result: Import, target: str | Path, sources: str | Path | None = None) -> Path:
    """Write ``result.table`` to ``target`` and, if ``sources`` is given, the updated citations to
    that ``sources.yaml``, all or nothing, even if the process is killed.

    Each file goes to ``NAME.import-part`` and is read back (the table with ``result.validate``,
    the sources with the dataset reader); only when both are good are they committed together by
    :func:`commissioning.needs.commit.commit` (a redo journal: a kill after the commit point is
    finished by the next reader or import, a kill before it leaves the old files). Text cells are
    made formula-safe (:func:`commissioning.safeio.spreadsheet_safe`). An unwritable folder is an
    :class:`InputError`; on any error before the commit point ``target`` and ``sources`` are
    untouched.
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise InputError("output folder does not exist", file=target.parent)
    if target.is_dir():
        raise InputError("is a folder, not a file to write", file=target)
    sources = Path(sources) if sources is not None and result.cite is not None else None
    for folder in {target.parent, *([sources.parent] if sources is not None else [])}:
        commit.recover(folder)
    tmp = commit.part_path(target)
    sources_tmp = commit.part_path(sources) if sources is not None else None
    committing = False
    try:
        tmp.write_text(csv_text(result.table, lineterminator="\n"), encoding="utf-8")
        try:
            result.validate(tmp)
        except InputError as err:
            raise InputError(f"the imported {result.file_name} would not load: {err.message}", file=target,
                             line=err.line, column=err.column, expected=err.expected) from None
        if sources is not None:
            _, new = updated_sources(result, sources)
            previous = sources.read_text(encoding="utf-8") if sources.exists() else ""
            sources_tmp.write_text(sources_text(new, previous), encoding="utf-8")
            if read_sources(sources_tmp) != new:
                raise InputError("the updated sources would not read back as written", file=sources)
        committing = True
        commit.commit([target] + ([sources] if sources is not None else []))
    except OSError as err:
        if committing:
            raise InputError(f"the import was interrupted while replacing the files: {err.strerror or err}",
                             file=target.parent, expected="a writable folder; the next import or load "
                                                          "of this folder completes it") from None
        raise InputError(f"cannot write: {err.strerror or err}", file=target.parent,
                         expected="a folder you may write to") from None
    finally:
        if not committing:
            for part in (tmp, sources_tmp):
                if part is not None and part.parent.is_dir():
                    try:
                        part.unlink(missing_ok=True)
                    except OSError:
                        pass
    return target
