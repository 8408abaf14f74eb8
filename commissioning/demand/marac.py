"""Estimated Marac cases by borough: SafeLives' force totals apportioned by a real borough base.

SafeLives publishes Marac cases discussed per police force area a year, not per borough. The
Metropolitan Police area covers the 32 MPS boroughs together (16,585 cases in 2024-25); the City
of London Police area is the City alone (10). For a force covering several boroughs:

    quota_b    = T x w_b / sum_k w_k          (T = the force's cases; w = the borough base, by default
                                               MPS VAWG offences over the same financial year)
    estimate_b = floor(quota_b), plus one case for each of the (T - sum floor) largest remainders
                 quota_b - floor(quota_b)     (largest-remainder, or Hamilton's, method)

so the borough figures are whole cases that add up to the force total exactly. Ties in the
remainder go to the larger base, then to the earlier code. The method assumes Marac cases per
VAWG offence are the same in every borough of a force; the figures are *estimated*, never real
or illustrative, and every output says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.demand.series import MonthlySeries, parse_month
from commissioning.errors import InputError, csv_line
from commissioning.needs.importers import DemandUpdate
from commissioning.needs.tables import read_table, to_number

SAFELIVES_COLUMNS = ["force", "ons_codes", "financial_year", "cases_discussed"]
SAFELIVES_URL = "https://safelives.org.uk/practice_blog/marac-data/"


@dataclass(frozen=True)
class ForceTotal:
    """Marac cases discussed in one police force area in one financial year (e.g. '2024-25')."""

    force: str
    codes: tuple[str, ...]
    year: str
    cases: int


def largest_remainder(total: int, weights) -> np.ndarray:
    """Whole numbers proportional to ``weights`` that sum to ``total`` exactly (Hamilton's method).

    ``weights`` are >= 0 with a positive sum. Ties in the remainder go to the larger weight, then
    to the earlier position.
    """
    weights = np.asarray(weights, dtype=float)
    if total < 0 or int(total) != total:
        raise ValueError(f"total {total!r}: expected a whole number >= 0")
    if weights.size == 0 or not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError("weights: expected finite numbers >= 0 with a positive sum")
    quotas = total * weights / weights.sum()
    whole = np.floor(quotas).astype(int)
    left = int(total) - int(whole.sum())
    order = np.lexsort((np.arange(weights.size), -weights, -(quotas - whole)))
    whole[order[:left]] += 1
    return whole


def _codes(text: str, path, line: int) -> tuple[str, ...]:
    """'E09000001', 'E09000002..E09000033' or ';'-separated codes -> the codes (all in London)."""
    codes: list[str] = []
    for part in (p.strip() for p in str(text).split(";")):
        match = re.fullmatch(r"([EW]\d{2})(\d{6})\.\.([EW]\d{2})(\d{6})", part)
        if match and match.group(1) == match.group(3):
            first, last = int(match.group(2)), int(match.group(4))
            codes += [f"{match.group(1)}{n:06d}" for n in range(first, last + 1)]
        else:
            codes.append(part.upper())
    unknown = [c for c in codes if c not in LONDON_AUTHORITIES]
    if unknown or not codes:
        raise InputError(f"{unknown[0] if unknown else text!r} is not a London authority code", file=path, line=line,
                         column="ons_codes", expected="codes such as E09000001 or a range E09000002..E09000033")
    return tuple(codes)


def read_force_totals(path: str | Path, year: str) -> list[ForceTotal]:
    """The SafeLives Marac rows for one financial year ``year`` ('2024-25'), one per force."""
    path = Path(path)
    frame = read_table(path, SAFELIVES_COLUMNS)
    rows = frame.loc[frame["financial_year"] == year]
    if rows.empty:
        years = ", ".join(sorted(set(frame["financial_year"])))
        raise InputError(f"no rows for financial year {year!r}", file=path, column="financial_year",
                         expected=f"one of {years}")
    cases = to_number(rows.reset_index(drop=True), "cases_discussed", path, minimum=0, what="a count of cases")
    totals, seen = [], {}
    for (i, row), n in zip(rows.iterrows(), cases):
        if n != int(n):
            raise InputError(f"{row['cases_discussed']!r} is not a whole number", file=path, line=csv_line(i),
                             column="cases_discussed", expected="a whole number of cases")
        codes = _codes(row["ons_codes"], path, csv_line(i))
        for code in codes:
            if code in seen:
                raise InputError(f"{code} is in two forces ({seen[code]} and {row['force']})", file=path,
                                 line=csv_line(i), column="ons_codes", expected="each authority in one force")
            seen[code] = row["force"]
        totals.append(ForceTotal(row["force"], codes, year, int(n)))
    return totals


def financial_year_months(year: str) -> tuple[pd.Period, pd.Period]:
    """'2024-25' -> (2024-04, 2025-03)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", year)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise InputError(f"{year!r} is not a financial year", column="--year", expected="e.g. 2024-25")
    start = int(match.group(1))
    return parse_month(f"{start}-04"), parse_month(f"{start + 1}-03")


def borough_base(series: MonthlySeries, measure: str, year: str) -> pd.Series:
    """The base of each borough: ``measure`` summed over the financial year (Series by code)."""
    first, last = financial_year_months(year)
    if series.first_month > first or series.last_month < last:
        raise InputError(f"the series covers {series.first_month} to {series.last_month}, not the whole of "
                         f"{first} to {last}", file=series.path, expected=f"every month of financial year {year}")
    return series.matrix(measure).loc[first:last].sum()


def estimate(totals: list[ForceTotal], base: pd.Series) -> pd.DataFrame:
    """Columns code, force, force_cases, base, share, estimate (whole cases). A force of one
    authority keeps its total; a force of several needs a base for each of them."""
    frames = []
    for force in totals:
        if len(force.codes) == 1:
            weights = pd.Series([1.0], index=list(force.codes))
        else:
            weights = base.reindex(list(force.codes))
            if weights.isna().any():
                missing = weights.index[weights.isna()][0]
                raise InputError(f"no base figure for {missing} {LONDON_AUTHORITIES[missing]} "
                                 f"(needed to apportion the {force.force} total)",
                                 expected="a base series covering every authority of the force")
        share = weights / weights.sum()
        frames.append(pd.DataFrame({"code": weights.index, "force": force.force, "force_cases": force.cases,
                                    "base": weights.to_numpy() if len(force.codes) > 1 else np.nan,
                                    "share": share.to_numpy(),
                                    "estimate": largest_remainder(force.cases, weights.to_numpy())}))
    return pd.concat(frames, ignore_index=True).sort_values("code").reset_index(drop=True)


def marac_update(safelives: str | Path, series: MonthlySeries, year: str = "2024-25",
                 measure: str = "vawg_offences") -> DemandUpdate:
    """``marac_cases`` rows for demand.csv, estimated, with the citation that states the method."""
    safelives = Path(safelives)
    totals = read_force_totals(safelives, year)
    table = estimate(totals, borough_base(series, measure, year))
    first, last = financial_year_months(year)
    measure_words = measure.replace("_", " ").replace("vawg", "VAWG")
    base_words = f"{measure_words} ({first.strftime('%b %Y')} to {last.strftime('%b %Y')})"
    force_words = "; ".join(f"{t.force} {t.cases:,}" for t in totals)
    notes = [f"{safelives.name}: financial year {year}: {force_words} Marac cases"]
    for force in totals:
        got = int(table.loc[table["force"] == force.force, "estimate"].sum())
        notes.append(f"{force.force}: {len(force.codes)} authorities, estimates sum to {got:,} "
                     f"(force total {force.cases:,})")
    citation = {
        "id": "safelives_marac_estimate",
        "name": "Marac cases by borough, estimated from SafeLives' force totals",
        "publisher": "SafeLives (force totals); apportioned by this toolkit with MPS VAWG offences",
        "period": f"financial year {year} (April {first.year} to March {last.year})",
        "licence": "SafeLives figures cited as facts (no open licence seen); MPS data Open Government Licence v2.0",
        "url": SAFELIVES_URL,
        "used_in": "data/demand.csv (marac_cases, estimated)",
        "illustrative": False, "estimated": True, "file": safelives.name,
        "note": f"Estimated, not recorded: SafeLives publishes Marac cases per police force area only ({force_words} "
                f"in {year}). Each force total is apportioned to its boroughs in proportion to MPS {base_words} "
                "and rounded by the largest-remainder (Hamilton) method, so the borough figures are whole cases "
                "that add up to the force total exactly; the City of London Police area is the City alone, so "
                "its figure is the force total. Assumes Marac cases per VAWG offence are the same in every "
                "borough of a force; VAWG offences are counted where they happened, not where victims live, so "
                "central boroughs with many visitors (Westminster, Camden) may be over-estimated. SafeLives' "
                "figures were read from a third-party conversion of its "
                "workbooks; made with `python -m commissioning import safelives-marac`."}
    row_note = {
        "marac_cases": f"estimated: SafeLives {year} force total apportioned by MPS {base_words}, "
                       "largest-remainder rounding"}
    values = {"marac_cases": dict(zip(table["code"], table["estimate"].astype(float)))}
    return DemandUpdate(values=values, period=f"{first}/{last}", row_notes=row_note, citation=citation,
                        not_covered=(), notes=notes, estimated=True,
                        source=f"estimated from SafeLives Marac data {year} (force totals) apportioned by MPS "
                               f"{base_words}")
