"""Metropolitan Police files: borough level crime (sexual offences, rape) and violence against
women and girls by borough and month, merged into ``demand.csv``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES, is_ons_code, normalise_name
from commissioning.errors import InputError, csv_line
from commissioning.needs.dataset import (
    DEMAND_COLUMNS,
    _resolve_codes,
    read_demand,
)
from commissioning.needs.importers.common import (
    DEMAND_OPTIONAL,
    ILLUSTRATIVE_DEMAND,
    MPS_LICENCE,
    MPS_NOT_COVERED,
    MPS_PUBLISHER,
    NON_BOROUGH_LABELS,
    DemandUpdate,
    Import,
    _borough,
    _check_complete,
    _counts,
    _fmt,
    _month,
    _month_text,
    _period_words,
    _window,
)
from commissioning.needs.importers.writing import _revise_sources
from commissioning.needs.tables import TRUE, read_table

# ---------------------------------------------------------------------------------------------
# MPS borough level crime

@dataclass(frozen=True)
class BoroughCrime:
    """Recorded sexual offences of the MPS Borough Level Crime file, per borough and month.

    ``counts``: {measure: DataFrame indexed by ONS code, one column per month column of the file
    (``YYYYMM``)} for ``sexual_offences`` (all minor categories of MajorText "SEXUAL OFFENCES") and
    ``rape_offences`` (MinorText "RAPE"); ``months``: month column -> month number (:func:`_month`);
    ``skipped``: non-borough label -> its sexual offences per month column (left out, reported).
    """

    counts: dict[str, pd.DataFrame]
    months: dict[str, int]
    skipped: dict[str, pd.Series]


def borough_crime(path: str | Path, authorities: dict[str, str] | None = None) -> BoroughCrime:
    """Read and check the Borough Level Crime wide CSV (``MajorText, MinorText, BoroughName, YYYYMM...``):
    every MPS borough must have its SEXUAL OFFENCES and RAPE rows, each borough and minor category once."""
    path = Path(path)
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    frame = read_table(path, ["MajorText", "MinorText", "BoroughName"])
    month_columns = [c for c in frame.columns if re.fullmatch(r"\d{6}", c)]
    if not month_columns:
        raise InputError("no month columns", file=path, line=1,
                         expected="one column per month named YYYYMM after BoroughName, e.g. 202602")
    months = {c: _month(c, path, line=1, column=c) for c in month_columns}
    sexual = frame.loc[frame["MajorText"].str.upper() == "SEXUAL OFFENCES"]
    if sexual.empty:
        raise InputError("no SEXUAL OFFENCES rows", file=path, column="MajorText",
                         expected="rows with MajorText 'SEXUAL OFFENCES'")
    counts = _counts(sexual, month_columns, path)
    rows: dict[str, dict[str, pd.Series]] = {"sexual_offences": {}, "rape_offences": {}}
    seen: dict[tuple[str, str], int] = {}
    skipped: dict[str, pd.Series] = {}
    for i, label, minor in zip(sexual.index, sexual["BoroughName"], sexual["MinorText"].str.upper()):
        code = _borough(label, path, csv_line(i), "BoroughName", authorities)
        if code is None:
            skipped[label] = counts.loc[i] if label not in skipped else skipped[label] + counts.loc[i]
            continue
        if (code, minor) in seen:
            raise InputError(f"{minor} for {label} appears twice (first on line {seen[code, minor]})",
                             file=path, line=csv_line(i), column="MinorText",
                             expected="one row per borough and minor category")
        seen[code, minor] = csv_line(i)
        total = rows["sexual_offences"].get(code)
        rows["sexual_offences"][code] = counts.loc[i] if total is None else total + counts.loc[i]
        if minor == "RAPE":
            rows["rape_offences"][code] = counts.loc[i]
    _check_complete(set(rows["sexual_offences"]), MPS_NOT_COVERED, authorities, path, "SEXUAL OFFENCES")
    _check_complete(set(rows["rape_offences"]), MPS_NOT_COVERED, authorities, path, "RAPE")
    return BoroughCrime({m: pd.DataFrame(by_code).T[month_columns] for m, by_code in rows.items()}, months, skipped)


def mps_crime(path: str | Path, months: int = 12, end: str | None = None,
              authorities: dict[str, str] | None = None) -> DemandUpdate:
    """Recorded rape and sexual offences per borough, summed over a window of months.

    ``sexual_offences`` = all minor categories of MajorText "SEXUAL OFFENCES" (RAPE and OTHER
    SEXUAL OFFENCES); ``rape_offences`` = MinorText "RAPE". Counts are offences by where they
    happened. Non-borough rows ("Unknown", airports) are left out and reported in ``notes``.
    """
    path = Path(path)
    crime = borough_crime(path, authorities)
    window = _window(sorted(crime.months.values()), months, end, path)
    columns = [c for c, m in crime.months.items() if m in set(window)]
    values = {measure: frame[columns].sum(axis=1).to_dict() for measure, frame in crime.counts.items()}
    skipped = {label: by_month[columns].sum() for label, by_month in crime.skipped.items()}
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
