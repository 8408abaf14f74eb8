"""A contract's performance against its lot's key performance indicators (KPIs), from the
approved quarterly returns of its supplier.

Matching: a return row counts for a contract when its provider is the supplier or a consortium
partner (names matched as :mod:`commissioning.organisations` says), its service is one the contract
buys, its borough is one the contract serves (or ``London``) and its quarter lies in the contract.

Each KPI is rated per quarter and per calendar year:

- rates (referrals refused, clients satisfied) are counts of people, with a 95% Wilson interval
  (:func:`commissioning.stats.wilson`); a year adds up its quarters' counts;
- the median wait is the referral-weighted mean of the returns' medians (a year: of its quarters);
- capacity delivered is the capacity in post of the contract's capacity service in its boroughs as
  a percentage of the contracted capacity (a year: the mean of its quarters).

Ratings: ``met`` when the figure meets the target; ``approaching`` when it misses but meets the
KPI's ``approaching`` level, or (rates) when its 95% interval still reaches the target, so the miss
may be chance; ``not met`` otherwise; ``no data`` when nothing was returned.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from commissioning.organisations import names_match
from commissioning.procurement.rules import Kpi
from commissioning.stats import wilson

MET, APPROACHING, NOT_MET, NO_DATA = "met", "approaching", "not met", "no data"
PAN_LONDON = "London"
RATING_COLUMNS = ["period", "measure", "kpi", "target", "value", "lower", "upper", "numerator",
                  "denominator", "rating", "basis"]
#: Which return columns a rate KPI counts: measure -> (part, whole).
RATES = {"referrals_refused_pct": ("referrals_refused", "referrals"),
         "clients_satisfied_pct": ("clients_satisfied", "clients_surveyed")}


@dataclass(frozen=True)
class ContractScope:
    """What a contract's returns are matched on and measured against."""

    organisations: tuple[str, ...]   # supplier, then partners
    services: tuple[str, ...]
    capacity_service: str
    capacity: dict                   # {code: contracted capacity}
    start: dt.date
    end: dt.date


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def period_end(period: str) -> dt.date:
    """The last day of a rating's period: ``2028Q1`` -> 31 March 2028, ``2028`` -> 31 December 2028."""
    if len(period) == 4:
        return dt.date(int(period), 12, 31)
    year, q = int(period[:4]), int(period[-1])
    return dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1)


def matched_rows(scope: ContractScope, approved: pd.DataFrame) -> pd.DataFrame:
    """The approved return rows this contract's KPIs are rated from."""
    if approved.empty:
        return approved
    codes = set(scope.capacity) | {PAN_LONDON}
    first, last = quarter_of(scope.start), quarter_of(scope.end)
    providers = {p: names_match(scope.organisations, [p]) for p in approved["provider"].unique()}
    keep = (approved["provider"].map(providers).astype(bool) & approved["service"].isin(scope.services)
            & approved["code"].isin(codes) & (approved["quarter"] >= first) & (approved["quarter"] <= last))
    return approved.loc[keep]


def _total(rows: pd.DataFrame, column: str) -> float:
    values = rows[column].dropna()
    return float(values.sum()) if len(values) else math.nan


def _quarter_figures(scope: ContractScope, rows: pd.DataFrame) -> dict:
    """One quarter's counts and measures from its matched rows."""
    out = {column: _total(rows, column) for pair in RATES.values() for column in pair}
    timed = rows.dropna(subset=["waiting_days_median", "referrals"])
    timed = timed.loc[timed["referrals"] > 0]
    out["wait_weight"] = float(timed["referrals"].sum())
    out["waiting_days_median"] = (float((timed["waiting_days_median"] * timed["referrals"]).sum()) / out["wait_weight"]
                                  if out["wait_weight"] else math.nan)
    served = rows.loc[(rows["service"] == scope.capacity_service) & rows["capacity"].notna()]
    contracted = float(sum(scope.capacity.values()))
    out["capacity_delivered_pct"] = (100 * float(served["capacity"].sum()) / contracted
                                     if len(served) and contracted else math.nan)
    out["basis"] = ("illustrative" if (rows["basis"] == "illustrative").any() else "real") if len(rows) else ""
    return out


def _rate(kpi: Kpi, value: float, lower: float = math.nan, upper: float = math.nan) -> str:
    if math.isnan(value):
        return NO_DATA
    at_most = kpi.direction == "at_most"
    if (value <= kpi.target) if at_most else (value >= kpi.target):
        return MET
    near = kpi.approaching is not None and ((value <= kpi.approaching) if at_most else (value >= kpi.approaching))
    reaches = not math.isnan(lower) and ((lower <= kpi.target) if at_most else (upper >= kpi.target))
    return APPROACHING if near or reaches else NOT_MET


def _ratings(period: str, kpis: tuple[Kpi, ...], figures: dict) -> list[dict]:
    out = []
    for kpi in kpis:
        row = {"period": period, "measure": kpi.measure, "kpi": kpi.words, "target": kpi.target,
               "value": math.nan, "lower": math.nan, "upper": math.nan, "numerator": math.nan,
               "denominator": math.nan, "basis": figures["basis"]}
        if kpi.measure in RATES:
            part, whole = (figures[c] for c in RATES[kpi.measure])
            if not math.isnan(whole) and whole > 0 and not math.isnan(part):
                row["value"], row["lower"], row["upper"] = wilson(int(part), int(whole))
                row["numerator"], row["denominator"] = part, whole
        else:
            row["value"] = figures[kpi.measure]
        row["rating"] = _rate(kpi, row["value"], row["lower"], row["upper"])
        out.append(row)
    return out


def rate_kpis(scope: ContractScope, kpis: tuple[Kpi, ...], approved: pd.DataFrame) -> pd.DataFrame:
    """Every KPI rated per quarter with returns, then per calendar year (:data:`RATING_COLUMNS`;
    ``period`` is ``2028Q1`` or ``2028``)."""
    rows = matched_rows(scope, approved)
    out, by_year = [], {}
    for quarter, mine in rows.groupby("quarter", sort=True):
        figures = _quarter_figures(scope, mine)
        out += _ratings(quarter, kpis, figures)
        by_year.setdefault(quarter[:4], []).append(figures)
    for label, quarters in by_year.items():
        out += _ratings(label, kpis, _year_figures(quarters))
    return pd.DataFrame(out, columns=RATING_COLUMNS)


def _year_figures(quarters: list[dict]) -> dict:
    out = {}
    for pair in RATES.values():
        for column in pair:
            values = [q[column] for q in quarters if not math.isnan(q[column])]
            out[column] = sum(values) if values else math.nan
    weight = sum(q["wait_weight"] for q in quarters)
    out["waiting_days_median"] = (sum(q["waiting_days_median"] * q["wait_weight"] for q in quarters if q["wait_weight"])
                                  / weight if weight else math.nan)
    delivered = [q["capacity_delivered_pct"] for q in quarters if not math.isnan(q["capacity_delivered_pct"])]
    out["capacity_delivered_pct"] = sum(delivered) / len(delivered) if delivered else math.nan
    bases = {q["basis"] for q in quarters}
    out["basis"] = "illustrative" if "illustrative" in bases else "real"
    return out


@dataclass(frozen=True)
class Evidence:
    """What the ratings say about the extension decision, in plain words."""

    headline: str
    for_extending: list[str]
    for_reprocuring: list[str]


def extension_evidence(ratings: pd.DataFrame, *, initial_end: dt.date, extension_years: int,
                       today: dt.date) -> Evidence | None:
    """The evidence for extending or re-procuring, from the latest year's ratings and the last
    quarter's; ``None`` once the extension point (the initial term's end) has passed or when no
    extension is available."""
    if extension_years <= 0 or today > initial_end:
        return None
    years = ratings.loc[ratings["period"].str.len() == 4]
    quarters = ratings.loc[ratings["period"].str.len() == 6]
    point = f"The initial term ends on {initial_end:%d %B %Y}; up to {extension_years} extension year" \
            f"{'s' if extension_years != 1 else ''} can be used by deciding before then."
    if years.empty:
        return Evidence(point + " No approved returns have been rated yet, so there is no evidence either way.",
                        [], [])
    latest = years.loc[years["period"] == years["period"].max()]
    last_quarter = quarters.loc[quarters["period"] == quarters["period"].max()]
    good = [f"{r.kpi}: {r.rating} in {r.period} ({figure_text(r)})" for r in latest.itertuples() if r.rating == MET]
    bad = [f"{r.kpi}: {r.rating} in {r.period} ({figure_text(r)})" for r in latest.itertuples()
           if r.rating in (NOT_MET, APPROACHING)]
    bad += [f"{r.kpi}: not met in the latest quarter, {r.period} ({figure_text(r)})"
            for r in last_quarter.itertuples() if r.rating == NOT_MET]
    missing = [f"{r.kpi}: no data in {r.period}" for r in latest.itertuples() if r.rating == NO_DATA]
    met = len(good)
    verdict = ("Every KPI was met, which supports extending." if met == len(latest)
               else "Some were missed: weigh re-procuring, or extending with an improvement plan.")
    return Evidence(f"{point} In {latest['period'].iloc[0]}, {met} of {len(latest)} KPIs "
                    f"{'was' if met == 1 else 'were'} met. {verdict}", good, bad + missing)


def figure_text(row) -> str:
    """A rating's figure in words, with its interval when it has one."""
    if math.isnan(row.value):
        return "no figure"
    if row.measure == "waiting_days_median":
        return f"{row.value:.1f} days against {row.target:g}"
    if math.isnan(row.lower):
        return f"{row.value:.1f}% against {row.target:g}%"
    return (f"{row.value:.1f}%, 95% interval {row.lower:.1f}% to {row.upper:.1f}%, "
            f"{int(row.numerator)} of {int(row.denominator)}, against {row.target:g}%")
