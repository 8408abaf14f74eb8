"""The quarterly publication of provider returns (the review's recommendation 10): provision,
referrals, referrals refused for lack of capacity, waiting times and client satisfaction, by borough
and London, from *approved* returns only, with small counts suppressed (:mod:`.suppression`).

Per service type, one table: a row per borough served, a row for London-wide (pan-London) services and
the London total (the sum of the rows). Client satisfaction is one table over all services, with 95%
Wilson intervals, computed once (:func:`client_satisfaction`) for this publication, the satisfaction
publication and both public pages, so every output shows the same cells and hides the same ones.

Combining providers in a borough: counts and capacity add up; the median days to first contact is the
referral-weighted mean of the providers' medians (an approximation: medians do not add up), and is
suppressed whenever the referrals it is weighted by are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.returns.layout import PAN_LONDON
from commissioning.returns.quarters import check_quarter, describe
from commissioning.returns.suppression import TOTAL, Suppressed, suppress
from commissioning.stats import wilson

SUPPRESSED, NOT_REPORTED = "suppressed", "not reported"
LONDON_WIDE, LONDON = "London-wide services", "London"
SERVICE_COUNTS = ["referrals", "referrals_refused", "cases_open"]
CLIENT_COUNTS = ["clients_surveyed", "clients_satisfied"]
METHOD = (
    "Figures come from the quarterly returns of commissioned support organisations, counted only once a "
    "commissioner has approved them. Counts from 1 to 9 are suppressed, and so are further cells (secondary "
    "suppression) chosen so that no suppressed figure can be worked out from the totals: every suppressed cell "
    "was checked by linear programming to be able to take values at least 10 apart given everything published, "
    "in this publication and in the satisfaction publication, which shows the same client figures. "
    "Zeros are published. Where several providers serve a borough, the median days to first contact is the "
    "average of their medians weighted by referrals. Client satisfaction is the share of clients asked who said "
    "they were satisfied, with a 95% Wilson score interval (Wilson 1927). 'Not reported' means no provider gave "
    "the figure; it is not zero.")


@dataclass
class Publication:
    quarter: str
    services: dict[str, pd.DataFrame]          # service type -> display table
    suppressed: dict[str, Suppressed]          # service type -> the audited counts
    clients: pd.DataFrame                      # display table
    clients_suppressed: Suppressed | None
    labels: dict[str, tuple[str, str]]         # service type -> (label, unit)
    providers: int
    illustrative: bool
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Support services for victims: quarterly figures, {self.quarter}"

    @property
    def headline(self) -> str:
        if not self.providers:
            return f"No approved provider returns for {self.quarter} ({describe(self.quarter)})."
        parts = []
        for service, s in self.suppressed.items():
            total = s.values.loc[TOTAL]
            referrals, refused = total.get("referrals", math.nan), total.get("referrals_refused", math.nan)
            if not s.hidden.loc[TOTAL].any() and referrals and not math.isnan(referrals) and not math.isnan(refused):
                parts.append(f"{self.labels[service][0].split(' (')[0]}: {refused:,.0f} of {referrals:,.0f} referrals "
                             f"({100 * refused / referrals:.0f}%) could not be taken for lack of capacity")
        return (f"In {describe(self.quarter)}, approved returns came from {self.providers} support "
                f"organisation{'s' if self.providers != 1 else ''}. "
                + ("; ".join(parts) + "." if parts else ""))


def _area_name(code: str) -> str:
    return LONDON_WIDE if code == PAN_LONDON else LONDON_AUTHORITIES.get(code, code)


def borough_figures(rows: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """Rows summed by borough (index: area name, boroughs in code order, then London-wide services);
    capacity summed; ``waiting_days_median`` as the referral-weighted mean of the medians."""
    out = {}
    for code, group in sorted(rows.groupby("code"), key=lambda kv: (kv[0] == PAN_LONDON, kv[0])):
        record = {c: group[c].sum(min_count=1) for c in ["capacity", *counts]}
        if "waiting_days_median" in group:
            record["waiting_days_median"] = weighted_wait(group)
        out[_area_name(code)] = record
    return pd.DataFrame.from_dict(out, orient="index")


def weighted_wait(group: pd.DataFrame) -> float:
    waits = group["waiting_days_median"]
    known = waits.notna()
    if not known.any():
        return math.nan
    weights = group.loc[known, "referrals"].fillna(0)
    return float(np.average(waits[known], weights=weights)) if weights.sum() > 0 else float(waits[known].mean())


def build_publication(approved: pd.DataFrame, quarter: str, labels: dict[str, tuple[str, str]] | None = None) \
        -> Publication:
    """The publication of ``quarter`` from approved return rows (``Store.approved_returns()``)."""
    quarter = check_quarter(quarter)
    labels = labels or default_labels()
    rows = approved.loc[approved["quarter"] == quarter]
    services, audited = {}, {}
    for service in [s for s in labels if s in set(rows["service"])]:
        figures = borough_figures(rows.loc[rows["service"] == service], SERVICE_COUNTS)
        result = suppress(figures[SERVICE_COUNTS], [("referrals_refused", "referrals")])
        total_wait = weighted_wait(rows.loc[rows["service"] == service])
        services[service] = service_table(figures, result, total_wait, labels[service][1])
        audited[service] = result
    clients, clients_audit = client_satisfaction(rows)
    illustrative = bool((rows["basis"] == "illustrative").any())
    notes = ["the provider returns shown are an invented example for fictional providers"] \
        if illustrative else []
    return Publication(quarter, services, audited, clients, clients_audit, labels,
                       int(rows["provider"].nunique()), illustrative, notes)


def service_table(figures: pd.DataFrame, result: Suppressed, total_wait: float, unit: str) -> pd.DataFrame:
    """Display table: Area, capacity, referrals, refused, refused %, cases open, median days."""
    values, hidden = result.values, result.hidden
    capacity = figures["capacity"].tolist() + [figures["capacity"].sum(min_count=1)]
    waits = figures["waiting_days_median"].tolist() + [total_wait]
    out = []
    for i, area in enumerate(values.index):
        cell = {c: _count(values.loc[area, c], hidden.loc[area, c]) for c in SERVICE_COUNTS}
        referrals, refused = values.loc[area, "referrals"], values.loc[area, "referrals_refused"]
        if hidden.loc[area, "referrals"] or hidden.loc[area, "referrals_refused"]:
            share = SUPPRESSED
        elif math.isnan(referrals) or math.isnan(refused) or referrals == 0:
            share = NOT_REPORTED
        else:
            share = f"{100 * refused / referrals:.0f}%"
        wait = SUPPRESSED if hidden.loc[area, "referrals"] else _number(waits[i], 1)
        out.append({"Area": LONDON if area == TOTAL else area, f"Capacity ({unit})": _number(capacity[i], 1),
                    "Referrals": cell["referrals"], "Refused (no capacity)": cell["referrals_refused"],
                    "Refused %": share, "Cases open": cell["cases_open"], "Median days to contact": wait})
    return pd.DataFrame(out)


CLIENT_COLUMNS = ["Area", "Providers", "Clients asked", "Satisfied", "95% interval", "Basis"]


def client_satisfaction(rows: pd.DataFrame) -> tuple[pd.DataFrame, Suppressed | None]:
    """Providers' client satisfaction, the one computation behind both quarterly publications and
    the public pages: approved return rows of one quarter (``Store.approved_returns()`` or a checked
    returns file, with ``basis``) where both counts are reported, summed by borough, a row for
    London-wide services and the London total (the sum of the rows); small counts suppressed by
    :func:`.suppression.suppress` (primary and secondary, satisfied never above asked). Returns the
    display table (:data:`CLIENT_COLUMNS`; the satisfied share with a 95% Wilson interval, shown
    only where neither count is suppressed) and the audited counts."""
    rows = rows.loc[rows["clients_surveyed"].notna() & rows["clients_satisfied"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=CLIENT_COLUMNS), None
    figures = borough_figures(rows.drop(columns=["waiting_days_median"], errors="ignore"), CLIENT_COUNTS)
    result = suppress(figures[CLIENT_COUNTS], [("clients_satisfied", "clients_surveyed")])
    illustrative = rows["basis"] == "illustrative" if "basis" in rows else pd.Series(False, index=rows.index)
    by_area = rows.assign(area=rows["code"].map(_area_name), illustrative=illustrative).groupby("area")
    providers = by_area["provider"].nunique().to_dict()
    shown_basis = by_area["illustrative"].any().to_dict()
    providers[TOTAL], shown_basis[TOTAL] = int(rows["provider"].nunique()), bool(illustrative.any())
    out = []
    for area in result.values.index:
        n, k = result.values.loc[area, "clients_surveyed"], result.values.loc[area, "clients_satisfied"]
        if result.hidden.loc[area].any():
            share = interval = SUPPRESSED
        else:
            p, low, high = wilson(int(k), int(n))
            share, interval = (NOT_REPORTED, "") if math.isnan(p) else (f"{p:.1f}%", f"{low:.1f}% to {high:.1f}%")
        out.append({"Area": LONDON if area == TOTAL else area, "Providers": str(providers[area]),
                    "Clients asked": _count(n, result.hidden.loc[area, "clients_surveyed"]),
                    "Satisfied": share, "95% interval": interval,
                    "Basis": "illustrative" if shown_basis[area] else "real"})
    return pd.DataFrame(out, columns=CLIENT_COLUMNS), result


def _count(value: float, hidden: bool) -> str:
    if hidden:
        return SUPPRESSED
    return NOT_REPORTED if math.isnan(value) else f"{value:,.0f}"


def _number(value: float, digits: int) -> str:
    return NOT_REPORTED if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def default_labels() -> dict[str, tuple[str, str]]:
    from commissioning.needs.models import load_benchmarks
    from commissioning.paths import DEFAULT_DATA_DIR

    bench = load_benchmarks(DEFAULT_DATA_DIR / "benchmarks.yaml")
    return {s: (b.label, b.unit) for s, b in bench.services.items()}


def quarters(approved: pd.DataFrame) -> list[str]:
    return sorted(set(approved["quarter"]))
