"""Map-ready layers and the accessibility wiring between the data set and the E2SFCA core.

Everything returned here for display is in EPSG:4326 and free of confidential locations:

- :func:`borough_layer`: one polygon per authority with the gap, coverage, access score and lot.
- :func:`lot_layer`: one (dissolved) polygon per lot.
- :func:`service_points`: non-confidential services with their own coordinates; confidential rows
  (every refuge) are dropped entirely, not just their coordinates.

Accessibility (:func:`service_access`, :func:`demand_access`) places supply as follows:

- a service that is not confidential, serves a single authority and has lat/lon sits at its own
  location;
- every other service -- confidential (refuges: never their own coordinates), serving several
  authorities or pan-London, or without coordinates -- has its capacity placed at the centres of
  the authorities it serves, apportioned in proportion to the service's need base exactly as
  :func:`commissioning.needs.assessment.apportion` does for the gap table. A pan-London service's one
  address says nothing about where its capacity is used, so its own point is not used.

Authority centres are population-weighted when demand points with a population are given
(:func:`commissioning.spatial.geo.borough_centres`), else polygon centroids. Demand defaults to one point
per authority (its centre) carrying the service's need base (:func:`assessment.need_base`).
Distances are EPSG:27700 metres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from commissioning.errors import InputError
from commissioning.needs.assessment import apportion, need_base
from commissioning.needs.dataset import Dataset
from commissioning.spatial.accessibility import accessibility, borough_summary
from commissioning.spatial.geo import (
    BNG,
    CONTIGUITY_TOLERANCE_M,
    WGS84,
    borough_centres,
    check_codes,
    load_boundaries,
    to_bng,
)

BOROUGH_LAYER_COLUMNS = ["code", "name", "service", "provision", "need", "shortfall", "coverage_pct", "status",
                         "access_per_100k", "lot", "geometry"]
_SLIVER_M = CONTIGUITY_TOLERANCE_M / 2
POINT_COLUMNS = ["service_id", "provider", "service", "capacity", "areas", "specialism", "illustrative",
                 "lon", "lat", "geometry"]


def _check_service(ds: Dataset, service: str) -> None:
    if service not in ds.service_types:
        raise InputError(f"unknown service {service!r}", expected=f"one of {ds.service_types}")


def service_points(ds: Dataset, service: str | None = None) -> gpd.GeoDataFrame:
    """Non-confidential services that have coordinates, as points in EPSG:4326.

    Columns :data:`POINT_COLUMNS` (``areas`` as ``;``-joined codes). Confidential rows are removed
    before anything else is read from them.
    """
    rows = ds.services.loc[~ds.services["confidential"]]
    if service is not None:
        _check_service(ds, service)
        rows = rows.loc[rows["service"] == service]
    rows = rows.loc[rows["lat"].notna() & rows["lon"].notna()].copy()
    rows["areas"] = rows["areas"].map(";".join)
    geometry = gpd.points_from_xy(rows["lon"], rows["lat"], crs=WGS84)
    return gpd.GeoDataFrame(rows[POINT_COLUMNS[:-1]].reset_index(drop=True), geometry=geometry, crs=WGS84)


def supply_points(ds: Dataset, service: str, centres: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Supply for accessibility: columns ``capacity``, ``code`` (authority of the point), geometry
    in EPSG:27700. ``centres``: one point per code (EPSG:27700), e.g. from ``borough_centres``.
    Placement rules in the module docstring; capacities sum to the service's total capacity.
    """
    _check_service(ds, service)
    rows = ds.services.loc[ds.services["service"] == service]
    own = (~rows["confidential"] & rows["lat"].notna() & rows["lon"].notna()
           & (rows["areas"].map(len) == 1))
    located = rows.loc[own]
    points = gpd.GeoDataFrame(
        {"capacity": located["capacity"].to_numpy(float), "code": located["areas"].str[0].to_numpy()},
        geometry=gpd.points_from_xy(located["lon"], located["lat"], crs=WGS84).to_crs(BNG), crs=BNG)
    weights = need_base(ds.benchmarks.services[service].model, ds).reindex(ds.population["code"])
    spread = apportion(rows.loc[~own], weights)
    spread = spread[spread > 0]
    at_centres = gpd.GeoDataFrame({"capacity": spread.to_numpy(float), "code": spread.index.to_numpy()},
                                  geometry=centres.geometry.to_crs(BNG).reindex(spread.index).to_numpy(), crs=BNG)
    return pd.concat([points, at_centres], ignore_index=True)


def _demand(ds: Dataset, service: str, boundaries: gpd.GeoDataFrame, demand_points: gpd.GeoDataFrame | None,
            population_col: str) -> gpd.GeoDataFrame:
    """Demand points in EPSG:27700 with columns ``code`` and ``population`` (the need base)."""
    if demand_points is None:
        base = need_base(ds.benchmarks.services[service].model, ds).reindex(sorted(ds.authorities))
        centres = borough_centres(boundaries.loc[base.index])
        return gpd.GeoDataFrame({"code": base.index.to_numpy(), "population": base.fillna(0.0).to_numpy()},
                                geometry=centres.geometry.to_numpy(), crs=BNG)
    if population_col not in demand_points.columns:
        raise InputError(f"demand points have no column {population_col!r}", column=population_col,
                         expected=f"a population column; columns are {sorted(map(str, demand_points.columns))}")
    if demand_points.crs is None:
        raise InputError("demand points have no coordinate reference system", expected="a CRS")
    points = to_bng(demand_points)
    if not (points.geom_type == "Point").all():
        points = points.set_geometry(points.geometry.centroid)
    population = pd.to_numeric(points[population_col], errors="coerce")
    if population.isna().any() or (population < 0).any():
        i = int(np.flatnonzero((population.isna() | (population < 0)).to_numpy())[0])
        raise InputError(f"demand point {i + 1}: population is not a number >= 0", column=population_col,
                         expected="a count of people")
    if "code" in points.columns:
        codes = points["code"].astype(str)
    else:
        joined = gpd.sjoin(points[["geometry"]], to_bng(boundaries)[["geometry"]], predicate="within", how="left")
        codes = joined.loc[~joined.index.duplicated(), "code"].reindex(points.index)
    outside = codes.isna() | ~codes.isin(list(ds.authorities))
    if outside.any():
        raise InputError(f"{int(outside.sum())} demand point(s) are outside the area's authorities",
                         expected="points within the boundaries, or a 'code' column of authority codes")
    return gpd.GeoDataFrame({"code": codes.to_numpy(), "population": population.to_numpy(float)},
                            geometry=points.geometry.to_numpy(), crs=BNG)


def demand_access(ds: Dataset, service: str, boundaries: gpd.GeoDataFrame | None = None, radius_m: float = 10_000,
                  decay: str = "gaussian", demand_points: gpd.GeoDataFrame | None = None,
                  population_col: str = "population") -> gpd.GeoDataFrame:
    """E2SFCA access score per demand point (EPSG:27700).

    Columns ``code, population, access_per_100k, geometry``: ``population`` is the need base at the
    point (default: authority centres with the service's need base; else ``demand_points`` with
    ``population_col`` and optionally ``code``, matched to authorities by location otherwise);
    ``access_per_100k`` is capacity (FTE or spaces) reachable per 100,000 of that base.
    ``radius_m``: catchment radius in metres; ``decay``: ``"gaussian"``, ``"step"`` or ``"none"``.
    """
    _check_service(ds, service)
    boundaries = load_boundaries() if boundaries is None else boundaries
    check_codes(boundaries, ds.authorities)
    demand = _demand(ds, service, boundaries, demand_points, population_col)
    weighted = demand if demand_points is not None else None
    centres = borough_centres(boundaries, points=weighted, weight_column="population")
    supply = supply_points(ds, service, centres)
    try:
        return accessibility(supply, demand, "capacity", "population", radius_m=radius_m, decay=decay)
    except ValueError as exc:  # bad radius or decay from a caller
        raise InputError(str(exc), expected="a positive radius in metres and decay gaussian, step or none") from None


def service_access(ds: Dataset, service: str, boundaries: gpd.GeoDataFrame | None = None, radius_m: float = 10_000,
                   decay: str = "gaussian", demand_points: gpd.GeoDataFrame | None = None,
                   population_col: str = "population") -> pd.DataFrame:
    """Per-authority access: columns ``code, name, service, population, access_per_100k``.

    ``access_per_100k`` is the population-weighted mean of :func:`demand_access` over the
    authority's demand points (just its centre by default); ``population`` is its need base.
    Sorted by code, one row per authority of ``ds``.
    """
    points = demand_access(ds, service, boundaries, radius_m, decay, demand_points, population_col)
    summary = borough_summary(points, "code").reindex(sorted(ds.authorities))
    return pd.DataFrame({"code": summary.index.to_numpy(), "name": [ds.authorities[c] for c in summary.index],
                         "service": service, "population": summary["population"].fillna(0.0).to_numpy(float),
                         "access_per_100k": summary["access_per_100k"].to_numpy(float)})


def _lot_column(lots, codes: pd.Series) -> np.ndarray:
    if lots is None:
        return np.full(len(codes), None, dtype=object)
    assignment = getattr(lots, "assignment", lots)
    if isinstance(assignment, pd.DataFrame):
        assignment = assignment.set_index("code")["lot"]
    return assignment.reindex(codes.to_numpy()).to_numpy(dtype=object)


def borough_layer(ds: Dataset, gaps: pd.DataFrame, service: str, boundaries: gpd.GeoDataFrame | None = None,
                  lots=None, access: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """The polygon layer the app and the PDF draw, EPSG:4326, one row per authority (by code).

    Columns :data:`BOROUGH_LAYER_COLUMNS`: the gap table's row for ``service``, plus
    ``access_per_100k`` (from ``access``, a :func:`service_access` frame; NaN when not given) and
    ``lot`` (from a :class:`~commissioning.spatial.lots.Lots`, its assignment frame or a code->lot Series;
    None when not given).
    """
    _check_service(ds, service)
    boundaries = load_boundaries() if boundaries is None else boundaries
    check_codes(boundaries, ds.authorities)
    rows = gaps.loc[gaps["service"] == service].sort_values("code").reset_index(drop=True)
    if rows.empty:
        raise InputError(f"the gap table has no rows for {service!r}", expected="a gap table from assess()")
    out = rows.copy()
    out["access_per_100k"] = (np.nan if access is None else
                              access.set_index("code")["access_per_100k"].reindex(rows["code"]).to_numpy(float))
    out["lot"] = _lot_column(lots, rows["code"])
    geometry = boundaries.to_crs(WGS84).geometry.reindex(rows["code"]).to_numpy()
    return gpd.GeoDataFrame(out, geometry=geometry, crs=WGS84)[BOROUGH_LAYER_COLUMNS]


def lot_layer(lots, boundaries: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """One polygon per lot (EPSG:4326), columns ``lot, authorities, geometry``.

    Dissolved in EPSG:27700 with a closing buffer (grow by half the contiguity tolerance, union,
    shrink back) so that generalisation slivers between neighbours do not split a lot into pieces.
    """
    boundaries = load_boundaries() if boundaries is None else boundaries
    assignment = getattr(lots, "assignment", lots)
    bng = to_bng(boundaries.loc[assignment["code"]])
    frame = gpd.GeoDataFrame({"lot": assignment["lot"].to_numpy()},
                             geometry=bng.geometry.buffer(_SLIVER_M).to_numpy(), crs=BNG)
    dissolved = frame.dissolve(by="lot").reset_index()
    dissolved["geometry"] = dissolved.geometry.buffer(-_SLIVER_M)
    dissolved["authorities"] = dissolved["lot"].map(assignment["lot"].value_counts()).astype(int)
    order = dissolved["lot"].map(lambda label: int(str(label).split()[1]))
    dissolved = dissolved.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
    return dissolved[["lot", "authorities", "geometry"]].to_crs(WGS84)
