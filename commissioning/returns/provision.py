"""Where each service type's provision comes from: the one provision resolver.

:func:`resolve_provision` is used by every output that shows provision (the assessment command, the
needs assessment, the priorities, the app's pages): for each service type it takes the first source
in :data:`PROVISION_SOURCES` that has figures for it, and names that source (:class:`Provenance`):

1. ``contracts``: as of a date, the capacity of the contracts active that day
   (``store.contract_capacity_on``), one service row per contract and borough;
2. ``returns``: approved providers' returns for the period (a quarter; as of a date, the last quarter
   ended before it; by default the latest quarter with an approved capacity): one service row per
   provider and borough served (``London`` = every authority, apportioned by the need base like any
   pan-London service);
3. ``register``: the rows of ``services.csv``; the source is named ``illustrative`` when any of
   them is marked illustrative (or there are none).

A new source is one more function in :data:`PROVISION_SOURCES`, at its place in the order.
Contracted and returned figures carry no location, so refuges stay as confidential as before (and
are marked confidential).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from commissioning.needs.assessment import Assessment, assess, run_assessment
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


@dataclass(frozen=True)
class ProvisionInputs:
    """What the sources may draw on: approved returns (``Store.approved_returns()``, or None) and
    the quarter they are taken for; the capacity of contracts (``Store.contract_capacity_on(day)``,
    or None) and the day they are in place."""

    approved: pd.DataFrame | None = None
    quarter: str | None = None
    contracts: pd.DataFrame | None = None
    day: dt.date | None = None


#: A source: (data set, inputs) -> {service type: (its service rows, its Provenance)} for the types
#: it has figures for.
ProvisionSource = Callable[[Dataset, ProvisionInputs], dict[str, tuple[pd.DataFrame, Provenance]]]


def _as_service_rows(rows: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """``rows`` with exactly ``ds.services``' columns (numbers as floats), to stand in its place."""
    out = rows.reindex(columns=ds.services.columns)
    for column in ("lat", "lon", "capacity"):
        out[column] = out[column].astype(float)
    return out


def from_contracts(ds: Dataset, inputs: ProvisionInputs) -> dict[str, tuple[pd.DataFrame, Provenance]]:
    """The capacity of the contracts active on ``inputs.day``, per service type."""
    if inputs.contracts is None or inputs.day is None or inputs.contracts.empty:
        return {}
    rows = contracted_services(inputs.contracts, inputs.day)
    extra = _as_service_rows(rows, ds)
    out = {}
    for service in ds.service_types:
        mine = (rows["service"] == service).to_numpy()
        if mine.any():
            out[service] = (extra.loc[mine], Provenance(
                service, CONTRACTS, None, int(rows.loc[mine, "counted_by"].nunique()),
                bool(rows.loc[mine, "illustrative"].any()), on=inputs.day))
    return out


def from_returns(ds: Dataset, inputs: ProvisionInputs) -> dict[str, tuple[pd.DataFrame, Provenance]]:
    """Approved returns of ``inputs.quarter`` with a capacity, per service type."""
    if inputs.approved is None or inputs.quarter is None:
        return {}
    returned = returned_services(inputs.approved, inputs.quarter, ds.authorities)
    extra = _as_service_rows(returned, ds)
    out = {}
    for service in ds.service_types:
        mine = returned["service"] == service
        if mine.any():
            out[service] = (extra.loc[mine.to_numpy()], Provenance(
                service, RETURNS, inputs.quarter, int(returned.loc[mine, "provider"].nunique()),
                bool(returned.loc[mine, "illustrative"].any())))
    return out


def from_register(ds: Dataset, inputs: ProvisionInputs) -> dict[str, tuple[pd.DataFrame, Provenance]]:
    """The rows of ``services.csv``, for every service type (the last resort)."""
    out = {}
    for service in ds.service_types:
        mine = ds.services.loc[ds.services["service"] == service]
        flagged = bool(mine["illustrative"].any()) or mine.empty
        out[service] = (mine, Provenance(service, ILLUSTRATIVE if flagged else REGISTER, None, len(mine), flagged))
    return out


#: The sources in order of preference: the first with figures for a service type supplies all of it.
PROVISION_SOURCES: tuple[ProvisionSource, ...] = (from_contracts, from_returns, from_register)


def latest_quarter(approved: pd.DataFrame | None) -> str | None:
    """The latest quarter with an approved capacity (None without any)."""
    if approved is None or approved.empty:
        return None
    quarters = approved.loc[approved["capacity"].notna(), "quarter"]
    return None if quarters.empty else str(max(quarters))


def returns_quarter_before(day: dt.date) -> str:
    """The last calendar quarter that ended before ``day`` (its returns are the latest that can count)."""
    return previous(f"{day.year}Q{(day.month - 1) // 3 + 1}")


def resolve_provision(ds: Dataset, approved: pd.DataFrame | None = None, quarter: str | None = None, *,
                      contracts: pd.DataFrame | None = None, day: dt.date | None = None
                      ) -> tuple[Dataset, dict[str, Provenance]]:
    """``ds`` with each service type's provision from the first of :data:`PROVISION_SOURCES` that
    has it, and each type's :class:`Provenance`. ``approved``: approved returns (None: none);
    ``quarter``: their period (default: as of ``day``, the last quarter ended before it; else
    :func:`latest_quarter`); ``contracts``: contract capacity in place on ``day``."""
    if quarter is not None:
        quarter = check_quarter(quarter)
    elif day is not None:
        quarter = returns_quarter_before(day)
    else:
        quarter = latest_quarter(approved)
    inputs = ProvisionInputs(approved, quarter, contracts, day)
    chosen: dict[str, tuple[pd.DataFrame, Provenance]] = {}
    for source in PROVISION_SOURCES:
        for service, found in source(ds, inputs).items():
            chosen.setdefault(service, found)
    frames = [rows for service in ds.service_types for rows, _ in [chosen[service]] if len(rows)]
    others = ds.services.loc[~ds.services["service"].isin(ds.service_types)]
    services = pd.concat([others, *frames], ignore_index=True) if frames else others.reset_index(drop=True)
    return replace(ds, services=services), {service: chosen[service][1] for service in ds.service_types}


def as_of_quarter(ds: Dataset, approved: pd.DataFrame, quarter: str) -> tuple[Dataset, dict[str, Provenance]]:
    """:func:`resolve_provision` for a given ``quarter``."""
    return resolve_provision(ds, approved, check_quarter(quarter))


def as_of_date(ds: Dataset, capacity: pd.DataFrame, approved: pd.DataFrame,
               day: dt.date) -> tuple[Dataset, dict[str, Provenance]]:
    """:func:`resolve_provision` as of ``day``: the contracts active that day (``capacity``), else the
    approved returns of the last quarter ended before it, else services.csv."""
    return resolve_provision(ds, approved, contracts=capacity, day=day)


def assess_with_provision(ds: Dataset, approved: pd.DataFrame | None = None, quarter: str | None = None
                          ) -> Assessment:
    """The needs assessment on the resolved provision (:func:`resolve_provision`), each service
    type's source named in ``Assessment.provision``."""
    dataset, sources = resolve_provision(ds, approved, quarter)
    return run_assessment(dataset, provision={s: p.label for s, p in sources.items()})


def assess_quarter(ds: Dataset, approved: pd.DataFrame, quarter: str) -> tuple[pd.DataFrame, dict[str, Provenance]]:
    """The gap table as of ``quarter`` (``assess`` on :func:`as_of_quarter`'s data set) and provenance."""
    dataset, sources = as_of_quarter(ds, approved, quarter)
    return assess(dataset), sources


def provenance_lines(sources: dict[str, Provenance], ds: Dataset) -> list[str]:
    """One line per service type: ``IDVA (...): provision reported in returns (2026Q3, 9 providers)``."""
    return [f"{ds.benchmarks.services[s].label}: provision {p.label}" for s, p in sources.items()]
