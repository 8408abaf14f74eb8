"""A needs assessment *as of a quarter*: approved returns as the provision of each service type.

For a quarter Q and each service type s:

- if any approved return for Q gives a capacity for s, the provision of s is exactly those
  returns: one service row per provider and borough served (``London`` = every authority, apportioned
  by the need base like any pan-London service);
- otherwise s keeps the rows of ``services.csv``.

:func:`provenance` says which, per service type: ``returns`` (reported in returns), ``register``
(services.csv rows marked real) or ``illustrative`` (services.csv rows marked illustrative). Returned
figures carry no location, so refuges stay as confidential as before (and are marked confidential).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from commissioning.needs.assessment import assess
from commissioning.needs.dataset import Dataset
from commissioning.returns.layout import PAN_LONDON
from commissioning.returns.quarters import check_quarter

RETURNS, REGISTER, ILLUSTRATIVE = "returns", "register", "illustrative"
SOURCE_LABELS = {RETURNS: "reported in returns", REGISTER: "register", ILLUSTRATIVE: "illustrative"}


@dataclass(frozen=True)
class Provenance:
    """Where one service type's provision comes from, in words and as a key."""

    service: str
    source: str           # returns, register or illustrative
    quarter: str | None   # the returns' quarter (source == returns)
    providers: int        # organisations (returns) or service rows (services.csv)
    illustrative: bool    # the figures themselves are illustrative (e.g. the embedded example returns)

    @property
    def label(self) -> str:
        if self.source == RETURNS:
            mark = ", illustrative example" if self.illustrative else ""
            return (f"reported in returns ({self.quarter}, {self.providers} provider"
                    f"{'s' if self.providers != 1 else ''}{mark})")
        if self.source == REGISTER:
            return f"register (services.csv, {self.providers} services)"
        return f"illustrative (services.csv, {self.providers} services)"


def returned_services(approved: pd.DataFrame, quarter: str, authorities: dict[str, str]) -> pd.DataFrame:
    """Approved return rows of ``quarter`` with a capacity, as ``Dataset.services`` rows."""
    rows = approved.loc[(approved["quarter"] == quarter) & approved["capacity"].notna()]
    rows = rows.sort_values(["service", "provider", "code"], ignore_index=True)
    every = tuple(authorities)
    return pd.DataFrame({
        "service_id": [f"R{quarter}-{i + 1:04d}" for i in range(len(rows))],
        "provider": rows["provider"].to_numpy(),
        "service": rows["service"].to_numpy(),
        "capacity": rows["capacity"].astype(float).to_numpy(),
        "areas": [every if code == PAN_LONDON else (code,) for code in rows["code"]],
        "lat": np.nan, "lon": np.nan,
        "confidential": (rows["service"] == "refuge").to_numpy(),
        "specialism": "",
        "illustrative": (rows["basis"] == "illustrative").to_numpy(),
        "note": f"quarterly return {quarter}",
    })


def as_of_quarter(ds: Dataset, approved: pd.DataFrame, quarter: str) -> tuple[Dataset, dict[str, Provenance]]:
    """``ds`` with the services of every type that has approved returns for ``quarter`` replaced
    by those returns, and each service type's :class:`Provenance`."""
    quarter = check_quarter(quarter)
    returned = returned_services(approved, quarter, ds.authorities)
    returned = returned.loc[returned["service"].isin(ds.service_types)]
    reported = set(returned["service"])
    kept = ds.services.loc[~ds.services["service"].isin(reported)]
    extra = returned.reindex(columns=ds.services.columns)
    for column in ("lat", "lon", "capacity"):
        extra[column] = extra[column].astype(float)
    services = pd.concat([kept, extra], ignore_index=True) if len(extra) else kept.reset_index(drop=True)
    out = {}
    for service in ds.service_types:
        if service in reported:
            mine = returned.loc[returned["service"] == service]
            out[service] = Provenance(service, RETURNS, quarter, int(mine["provider"].nunique()),
                                      bool(mine["illustrative"].any()))
        else:
            mine = ds.services.loc[ds.services["service"] == service]
            flagged = bool(mine["illustrative"].any()) or mine.empty
            out[service] = Provenance(service, ILLUSTRATIVE if flagged else REGISTER, None, len(mine), flagged)
    return replace(ds, services=services), out


def assess_quarter(ds: Dataset, approved: pd.DataFrame, quarter: str) -> tuple[pd.DataFrame, dict[str, Provenance]]:
    """The gap table as of ``quarter`` (``assess`` on :func:`as_of_quarter`'s data set) and provenance."""
    dataset, sources = as_of_quarter(ds, approved, quarter)
    return assess(dataset), sources


def provenance_lines(sources: dict[str, Provenance], ds: Dataset) -> list[str]:
    """One line per service type: ``IDVA (...): provision reported in returns (2026Q3, 9 providers)``."""
    return [f"{ds.benchmarks.services[s].label}: provision {p.label}" for s, p in sources.items()]
