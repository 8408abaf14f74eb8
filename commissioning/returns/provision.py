"""A needs assessment *as of a quarter* or *as of a date*: the provision of each service type from
the first source, in order, that has figures for it.

The sources, in order (:func:`as_of_date`; :func:`as_of_quarter` starts at the second):

1. ``contracts``: the capacity of the contracts active on the date (``store.contract_capacity_on``),
   one service row per contract and borough;
2. ``returns``: approved returns for the quarter (as of a date: the last quarter ended before it),
   one service row per provider and borough served (``London`` = every authority, apportioned by the
   need base like any pan-London service);
3. otherwise the service type keeps the rows of ``services.csv``: ``register`` (rows marked real) or
   ``illustrative`` (rows marked illustrative).

:class:`Provenance` says which, per service type. Contracted and returned figures carry no location,
so refuges stay as confidential as before (and are marked confidential).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from commissioning.needs.assessment import assess
from commissioning.needs.dataset import Dataset
from commissioning.returns.layout import PAN_LONDON
from commissioning.returns.quarters import check_quarter, previous

CONTRACTS, RETURNS, REGISTER, ILLUSTRATIVE = "contracts", "returns", "register", "illustrative"
SOURCE_LABELS = {CONTRACTS: "contracts in place", RETURNS: "reported in returns", REGISTER: "register",
                 ILLUSTRATIVE: "illustrative"}


@dataclass(frozen=True)
class Provenance:
    """Where one service type's provision comes from, in words and as a key."""

    service: str
    source: str           # contracts, returns, register or illustrative
    quarter: str | None   # the returns' quarter (source == returns)
    providers: int        # contracts (contracts), organisations (returns) or service rows (services.csv)
    illustrative: bool    # the figures themselves are illustrative (e.g. the embedded example returns)
    on: dt.date | None = None   # the day the contracts were in place (source == contracts)

    @property
    def label(self) -> str:
        if self.source == CONTRACTS:
            mark = ", illustrative" if self.illustrative else ""
            return (f"contracts in place on {self.on:%d %B %Y} ({self.providers} contract"
                    f"{'s' if self.providers != 1 else ''}{mark})")
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


def contracted_services(capacity: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The capacity of the contracts active on ``day`` (``contract_id, supplier, service, code,
    capacity, basis``, as ``store.contract_capacity_on`` gives it) as ``Dataset.services`` rows."""
    rows = capacity.sort_values(["service", "contract_id", "code"], ignore_index=True)
    return pd.DataFrame({
        "service_id": [f"C{cid}-{code}" for cid, code in zip(rows["contract_id"], rows["code"])],
        "provider": rows["supplier"].to_numpy(),
        "service": rows["service"].to_numpy(),
        "capacity": rows["capacity"].astype(float).to_numpy(),
        "areas": [(code,) for code in rows["code"]],
        "lat": np.nan, "lon": np.nan,
        "confidential": (rows["service"] == "refuge").to_numpy(),
        "specialism": "",
        "illustrative": (rows["basis"] == "illustrative").to_numpy(),
        "note": [f"contract {cid} in place on {day.isoformat()}" for cid in rows["contract_id"]],
        "counted_by": rows["contract_id"].to_numpy(),
    })


def _resolve(ds: Dataset, sources: list[tuple[str, pd.DataFrame, dict]]) -> tuple[Dataset, dict[str, Provenance]]:
    """``ds`` with each service type's services taken from the first of ``sources`` (ordered:
    ``(source key, service rows, Provenance fields)``) that has rows for it, else kept; and each
    type's :class:`Provenance`."""
    taken: dict[str, tuple[str, pd.DataFrame, dict]] = {}
    for key, rows, fields in sources:
        rows = rows.loc[rows["service"].isin(ds.service_types)]
        for service, mine in rows.groupby("service", sort=False):
            taken.setdefault(service, (key, mine, fields))
    kept = ds.services.loc[~ds.services["service"].isin(taken)]
    extra = pd.concat([mine for _, mine, _ in taken.values()], ignore_index=True) if taken else pd.DataFrame()
    extra = extra.reindex(columns=ds.services.columns)
    for column in ("lat", "lon", "capacity"):
        extra[column] = extra[column].astype(float)
    services = pd.concat([kept, extra], ignore_index=True) if len(extra) else kept.reset_index(drop=True)
    out = {}
    for service in ds.service_types:
        if service in taken:
            key, mine, fields = taken[service]
            counted = mine["counted_by"] if "counted_by" in mine else mine["provider"]
            out[service] = Provenance(service, key, providers=int(counted.nunique()),
                                      illustrative=bool(mine["illustrative"].any()), **fields)
        else:
            mine = ds.services.loc[ds.services["service"] == service]
            flagged = bool(mine["illustrative"].any()) or mine.empty
            out[service] = Provenance(service, ILLUSTRATIVE if flagged else REGISTER, None, len(mine), flagged)
    return replace(ds, services=services), out


def as_of_quarter(ds: Dataset, approved: pd.DataFrame, quarter: str) -> tuple[Dataset, dict[str, Provenance]]:
    """``ds`` with the services of every type that has approved returns for ``quarter`` replaced
    by those returns, and each service type's :class:`Provenance`."""
    quarter = check_quarter(quarter)
    return _resolve(ds, [(RETURNS, returned_services(approved, quarter, ds.authorities), {"quarter": quarter})])


def returns_quarter_before(day: dt.date) -> str:
    """The last calendar quarter that ended before ``day`` (its returns are the latest that can count)."""
    return previous(f"{day.year}Q{(day.month - 1) // 3 + 1}")


def as_of_date(ds: Dataset, capacity: pd.DataFrame, approved: pd.DataFrame,
               day: dt.date) -> tuple[Dataset, dict[str, Provenance]]:
    """``ds`` as of ``day``: each service type's provision from the contracts active that day
    (``capacity``), else the approved returns of the last quarter ended before it, else services.csv."""
    quarter = returns_quarter_before(day)
    return _resolve(ds, [(CONTRACTS, contracted_services(capacity, day), {"quarter": None, "on": day}),
                         (RETURNS, returned_services(approved, quarter, ds.authorities), {"quarter": quarter})])


def assess_quarter(ds: Dataset, approved: pd.DataFrame, quarter: str) -> tuple[pd.DataFrame, dict[str, Provenance]]:
    """The gap table as of ``quarter`` (``assess`` on :func:`as_of_quarter`'s data set) and provenance."""
    dataset, sources = as_of_quarter(ds, approved, quarter)
    return assess(dataset), sources


def provenance_lines(sources: dict[str, Provenance], ds: Dataset) -> list[str]:
    """One line per service type: ``IDVA (...): provision reported in returns (2026Q3, 9 providers)``."""
    return [f"{ds.benchmarks.services[s].label}: provision {p.label}" for s, p in sources.items()]
