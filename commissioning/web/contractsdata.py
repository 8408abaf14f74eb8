"""The Contracts page's tables (no Streamlit): the contracts, a contract's capacity and KPI
ratings, and the next round's gap with the contracts in place (the provision resolver's
``as_of_date``: contracts first, then returns, then the register, each labelled)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from commissioning.contracts.performance import figure_text
from commissioning.needs.assessment import assess, london_totals
from commissioning.needs.dataset import Dataset
from commissioning.returns.provision import as_of_date


def contracts_table(listed: pd.DataFrame) -> pd.DataFrame:
    """``Store.contracts_list`` in words for the page."""
    return pd.DataFrame({
        "Contract": listed["id"], "Lot": listed["lot"], "Supplier": listed["supplier"],
        "Partners": listed["partners"], "Capacity": [f"{c:g} {s.upper()}" for c, s in
                                                      zip(listed["capacity"], listed["capacity_service"])],
        "£ a year": listed["annual_value"].map("{:,.0f}".format),
        "£ initial term": listed["term_value"].map("{:,.0f}".format),
        "Start": listed["start"], "End": listed["end"], "Extension years left": listed["extension_years_left"],
        "Status": listed["status"], "Figures": listed["basis"]})


def capacity_table(capacity: dict, authorities: dict[str, str], service: str) -> pd.DataFrame:
    return pd.DataFrame({"Authority": [authorities.get(code, code) for code in capacity],
                         "Code": list(capacity), f"{service.upper()} capacity": list(capacity.values())})


def ratings_table(ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per KPI and period: rating and the figure in words (intervals for rates)."""
    return pd.DataFrame({"Period": ratings["period"], "Indicator": ratings["kpi"], "Rating": ratings["rating"],
                         "Figure": [figure_text(r) for r in ratings.itertuples()], "Figures": ratings["basis"]})


def gap_with_contracts(ds: Dataset, capacity: pd.DataFrame, approved: pd.DataFrame,
                       day: dt.date) -> pd.DataFrame:
    """The area's totals per service with the contracts active on ``day`` as provision, each
    labelled with where its provision comes from."""
    dataset, sources = as_of_date(ds, capacity, approved, day)
    totals = london_totals(assess(dataset), dataset.benchmarks).reset_index()
    table = pd.DataFrame({
        "Service": [dataset.benchmarks.services[s].label for s in totals["service"]],
        "Provision": totals["provision"].round(1), "Need": totals["need"].round(1),
        "Shortfall (sum of gaps)": totals["gap_total"].round(1),
        "Coverage %": totals["coverage_pct"].round(0),
        "Provision from": [sources[s].label for s in totals["service"]]})
    return table
