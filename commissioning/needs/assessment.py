"""Gap analysis: provision against need for every authority and service type.

For each service type s and authority i:

    provision_i = sum over services of capacity x w_i / sum_{k in areas} w_k
                  (w = the service's need base: the model's population base or demand measure)
    need_i      = the service's need model (see need.py)
    shortfall_i = need_i - provision_i            (signed: positive = a gap)
    coverage_i  = 100 x provision_i / need_i      (%), status red / amber / green from benchmarks.yaml

An authority whose need rounds to nothing at the precision its unit is printed with (under 0.05 FTE,
under half a place) has status "no need" and no coverage figure: a coverage of a need that prints
as 0.0 is not meaningful. This is the one status rule: the text, the tables, the maps and the CSV
all read ``status`` from the gap table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from commissioning.needs.dataset import Dataset
from commissioning.needs.models import NeedModel

GAP_COLUMNS = ["code", "name", "service", "provision", "need", "shortfall", "coverage_pct", "status"]
#: The status of an authority whose need rounds to nothing (see the module docstring).
NO_NEED = "no need"
#: Units counted in whole numbers (a refuge place cannot be split); others are shown to one decimal.
WHOLE_UNITS = ("spaces", "places")


def digits_for(unit: str) -> int:
    """Decimals a figure in ``unit`` is shown with: 0 for places, 1 for FTE."""
    return 0 if unit.lower() in WHOLE_UNITS else 1


def no_need(need, unit: str) -> np.ndarray:
    """True where ``need`` (array-like) prints as zero at the unit's precision (0.0 FTE, 0 places)."""
    return np.abs(np.asarray(need, dtype=float)) < 0.5 * 10 ** -digits_for(unit)


def need_base(model: NeedModel, ds: Dataset) -> pd.Series:
    """The weights used to apportion multi-area capacity (Series indexed by code)."""
    if model.kind == "rate":
        return ds.population.set_index("code")[model.base].astype(float)
    demand = ds.demand.loc[ds.demand["measure"] == model.measure].set_index("code")["value"].astype(float)
    return demand.reindex(ds.population["code"])


def apportion(services: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Spread each service's capacity over its areas in proportion to ``weights``.

    ``services`` has ``service_id``, ``capacity`` and ``areas`` (tuples of codes); ``weights`` is
    indexed by code. Missing weights count as 0; a service whose areas all weigh 0 is split evenly.
    Returns provision per code (Series indexed like ``weights``).
    """
    if services.empty:
        return pd.Series(0.0, index=weights.index)
    long = services[["service_id", "capacity", "areas"]].explode("areas").rename(columns={"areas": "code"})
    long["w"] = weights.reindex(long["code"]).fillna(0.0).to_numpy()
    totals = long.groupby("service_id")["w"].transform("sum")
    counts = long.groupby("service_id")["w"].transform("size")
    share = np.where(totals > 0, long["w"] / totals.where(totals > 0, 1.0), 1.0 / counts)
    long["provision"] = long["capacity"].astype(float) * share
    return long.groupby("code")["provision"].sum().reindex(weights.index, fill_value=0.0)


def assess(ds: Dataset, services: list[str] | None = None) -> pd.DataFrame:
    """The gap table: one row per authority x service type (in the benchmarks' order).

    Columns: ``code, name, service, provision, need, shortfall, coverage_pct, status``; units are
    those of the service (FTE or spaces); coverage in %. Unrounded. Status "no need" (and no
    coverage) where the need rounds to nothing at the unit's precision.
    """
    frames = []
    codes = ds.population["code"]
    for service in services or ds.service_types:
        bench = ds.benchmarks.services[service]
        model = bench.model
        need = model.need(ds.population, ds.demand).reindex(codes)
        provision = apportion(ds.services.loc[ds.services["service"] == service], need_base(model, ds).reindex(codes))
        none = no_need(need, bench.unit)
        with np.errstate(divide="ignore", invalid="ignore"):
            coverage = np.where(~none & (need.to_numpy() > 0), 100.0 * provision.to_numpy() / need.to_numpy(), np.nan)
        frames.append(pd.DataFrame({
            "code": codes.to_numpy(), "name": ds.population["name"].to_numpy(), "service": service,
            "provision": provision.to_numpy(), "need": need.to_numpy(),
            "shortfall": need.to_numpy() - provision.to_numpy(), "coverage_pct": coverage,
            "status": np.where(none, NO_NEED, ds.benchmarks.status(coverage)),
        }))
    return pd.concat(frames, ignore_index=True)[GAP_COLUMNS]


def london_totals(gaps: pd.DataFrame, benchmarks=None) -> pd.DataFrame:
    """Totals per service over all authorities (the area's totals; named for London, the default).

    ``gap_total`` sums only the positive shortfalls (posts missing where they are short), which is
    larger than the net shortfall when some boroughs have more than their benchmark.
    """
    grouped = gaps.groupby("service", sort=False)
    out = grouped[["provision", "need"]].sum()
    out["shortfall"] = out["need"] - out["provision"]
    out["gap_total"] = grouped["shortfall"].apply(lambda s: s.clip(lower=0).sum())
    out["coverage_pct"] = 100.0 * out["provision"] / out["need"]
    out["red"] = grouped["status"].apply(lambda s: int((s == "red").sum()))
    out["amber"] = grouped["status"].apply(lambda s: int((s == "amber").sum()))
    out["green"] = grouped["status"].apply(lambda s: int((s == "green").sum()))
    if benchmarks is not None:
        out["status"] = benchmarks.status(out["coverage_pct"].to_numpy())
    return out.reset_index()


@dataclass(frozen=True, eq=False)
class Assessment:
    """One needs assessment, computed once by :func:`run_assessment` and passed down to the CLI,
    the app and every document, so that all of them show the same figures.

    ``gaps``: the gap table (:data:`GAP_COLUMNS`, one row per authority and service type);
    ``totals``: :func:`london_totals` of it with each service's area-wide status; ``provision``:
    where each service type's provision comes from, in words (from the provision resolver,
    ``returns.provision.resolve_provision``; empty when the data set was assessed as loaded).
    """

    dataset: Dataset
    gaps: pd.DataFrame
    totals: pd.DataFrame
    provision: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_gaps(cls, ds: Dataset, gaps: pd.DataFrame, provision: dict[str, str] | None = None) -> "Assessment":
        """An assessment of ``ds`` from a gap table already computed (e.g. a scenario's)."""
        return cls(ds, gaps, london_totals(gaps, ds.benchmarks), dict(provision or {}))

    @property
    def benchmarks(self):
        return self.dataset.benchmarks

    @property
    def illustrative_notes(self) -> list[str]:
        """Which inputs are illustrative, in words (empty when every figure is real)."""
        return self.dataset.illustrative_notes()


def run_assessment(ds: Dataset, services: list[str] | None = None, provision: dict[str, str] | None = None
                   ) -> Assessment:
    """Assess ``ds`` (every service type in its benchmarks, or ``services``) once; ``provision``
    names each service type's source of provision."""
    return Assessment.from_gaps(ds, assess(ds, services), provision)
