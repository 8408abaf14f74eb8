"""Spatial accessibility of services: the (enhanced) two-step floating catchment area method.

(One module of about 560 lines on purpose: one formula, its decay functions and the checks on its
inputs, which make up half the file and belong beside the formula they guard.)

Two-step floating catchment area, 2SFCA
    Luo W. & Wang F. (2003), "Measures of spatial accessibility to health care in a GIS
    environment: synthesis and a case study in the Chicago region", Environment and Planning B:
    Planning and Design 30(6): 865-884.
Enhanced two-step floating catchment area, E2SFCA
    Luo W. & Qi Y. (2009), "An enhanced two-step floating catchment area (E2SFCA) method for
    measuring spatial accessibility to primary care physicians", Health & Place 15(4): 1100-1107.

With supply sites ``j`` (capacity ``S_j``: adviser FTE, refuge spaces), demand points ``i``
(population ``P_i`` of the need base, e.g. adult women), straight-line distance ``d_ij`` in metres,
catchment radius ``d0`` and distance-decay weight ``W(d)``::

    step 1 (each supply site):   R_j = S_j / sum_{k : d_kj <= d0} P_k W(d_kj)
    step 2 (each demand point):  A_i = sum_{j : d_ij <= d0} R_j W(d_ij)

``A_i`` is capacity per person of the need base within reach; ``100_000 * A_i`` is directly
comparable with per-100,000 benchmarks such as SafeLives' 4 IDVA FTE per 100,000 adult women.
Because the same weights are used in both steps, the population-weighted total of access equals
the total capacity that anyone can reach: ``sum_i P_i A_i = sum_{j : R_j > 0} S_j``.

Decay functions (``decay=``):

- ``"none"``: ``W(d) = 1`` inside the catchment -- the original 2SFCA of Luo & Wang (2003).
- ``"step"``: a step function ``{threshold_m: weight}`` as ``access.weights.step_fn``: a distance
  takes the weight of the smallest threshold ``>= d``; beyond the largest threshold ``W = 0``.
  The default is Luo & Qi's (2009) three travel-time zones transferred to thirds of the radius:
  ``{d0/3: 1.00, 2*d0/3: 0.68, d0: 0.22}``. A single zone ``{d0: 1.0}`` is 2SFCA again.
- ``"gaussian"`` (default): ``W(d) = exp(-d**2 / (2 * sigma**2))``, exactly
  ``access.weights.gaussian(sigma)`` (``W(0) = 1``, no normalising constant), with
  ``sigma = d0 / 2`` unless ``sigma_m`` is given, so ``W(d0) = exp(-2) ~ 0.135``.
- a callable taking an array of distances in metres and returning weights of the same shape.

Conventions (documented choices, not in the papers):

- A supply site with no (weighted) demand inside its catchment gets ``R_j = 0``: its capacity
  serves nobody in the study area and is not counted.
- A demand point with no supply within ``d0`` gets access 0.
- The catchment is inclusive: ``d <= d0``.

Coordinates are EPSG:27700 (British National Grid) metres. Pairs within the radius are found with
a k-d tree (``scipy.spatial.cKDTree``) and held in a ``scipy.sparse`` matrix; no dense all-pairs
distance matrix is ever built.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

__all__ = [
    "BNG",
    "LUO_QI_STEP_WEIGHTS",
    "access_per_100k",
    "accessibility",
    "borough_summary",
    "catchment_weights",
    "e2sfca",
]

#: British National Grid, the CRS every distance here is measured in (metres).
BNG = "EPSG:27700"

#: Luo & Qi (2009) zone weights, nearest zone first (their zones were 0-10, 10-20, 20-30 minutes;
#: here the catchment radius is split into thirds). Same weights as the ``access`` package default.
LUO_QI_STEP_WEIGHTS = (1.00, 0.68, 0.22)

DECAYS = ("gaussian", "step", "none")

# supply sites per k-d tree query in _pairs (tuned on benchmarks/bench_e2sfca.py)
_CHUNK = 256

# key under DataFrame.attrs where accessibility() records its inputs for borough_summary()
_ATTRS_KEY = "commissioning.spatial.accessibility"

Decay = str | Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _as_xy(points, name: str) -> np.ndarray:
    """Coordinates as a float (n, 2) array of EPSG:27700 metres.

    Accepts an (n, 2) array-like, a DataFrame with columns ``x`` and ``y`` (or exactly two
    columns), or a GeoSeries / GeoDataFrame of points (reprojected to EPSG:27700; it must have
    a CRS; polygons are reduced to their centroid).
    """
    try:  # geopandas is optional for the array API
        import geopandas as gpd
    except ImportError:  # pragma: no cover - geopandas is a project dependency
        gpd = None

    if gpd is not None and isinstance(points, (gpd.GeoSeries, gpd.GeoDataFrame)):
        geoms = _points_in_bng(points, name)
        return np.column_stack([geoms.x.to_numpy(float), geoms.y.to_numpy(float)])
    if isinstance(points, pd.DataFrame):
        if {"x", "y"} <= set(points.columns):
            points = points[["x", "y"]]
        elif points.shape[1] != 2:
            raise ValueError(
                f"{name}: a DataFrame of coordinates needs columns 'x' and 'y' (or exactly two "
                f"columns), got {list(points.columns)}"
            )
        points = points.to_numpy()
    try:
        xy = np.asarray(points, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric (n, 2) coordinates in metres: {exc}") from None
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2) of x, y in metres, got shape {xy.shape}")
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite; {int(bad.sum())} row(s) are not, first row {i} = "
            f"({xy[i, 0]}, {xy[i, 1]})"
        )
    return xy


def _as_amounts(values, n: int, name: str, points_name: str) -> np.ndarray:
    """A non-negative finite float vector of length ``n``."""
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if v.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {v.shape}")
    if v.shape[0] != n:
        raise ValueError(f"{name} has {v.shape[0]} values but {points_name} has {n} points")
    bad = ~np.isfinite(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite; {int(bad.sum())} value(s) are not, first row {i}")
    neg = v < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise ValueError(
            f"{name} must be non-negative; {int(neg.sum())} value(s) are negative, "
            f"first row {i} = {v[i]}"
        )
    return v


def _positive(value, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a positive finite number of metres, got {value!r}")
    return float(value)


def _decay_function(
    decay: Decay,
    radius_m: float,
    sigma_m: float | None,
    steps: Mapping[float, float] | None,
) -> Callable[[np.ndarray], np.ndarray]:
    """Validated, vectorised weight function ``W(d)`` for distances ``d`` in metres."""
    if callable(decay):
        if sigma_m is not None or steps is not None:
            raise ValueError("sigma_m and steps apply only to decay='gaussian' and 'step'")
        return _vectorised(decay)
    if not isinstance(decay, str) or decay not in DECAYS:
        raise ValueError(f"decay must be one of {DECAYS} or a callable, got {decay!r}")
    if sigma_m is not None and decay != "gaussian":
        raise ValueError(f"sigma_m applies only to decay='gaussian', not decay={decay!r}")
    if steps is not None and decay != "step":
        raise ValueError(f"steps applies only to decay='step', not decay={decay!r}")

    if decay == "none":  # 2SFCA (Luo & Wang 2003): every pair inside the catchment counts fully
        return lambda d: np.ones_like(d)

    if decay == "gaussian":  # = access.weights.gaussian(sigma)
        sigma = radius_m / 2.0 if sigma_m is None else _positive(sigma_m, "sigma_m")
        two_sigma_sq = 2.0 * sigma * sigma
        return lambda d: np.exp(-(d * d) / two_sigma_sq)

    # decay == "step"  (= access.weights.step_fn(steps))
    if steps is None:
        steps = dict(zip((radius_m / 3, 2 * radius_m / 3, radius_m), LUO_QI_STEP_WEIGHTS))
    if not isinstance(steps, Mapping) or not steps:
        raise ValueError("steps must be a non-empty dict {distance_threshold_m: weight}")
    thresholds = np.array([_positive(t, "each steps threshold") for t in steps], dtype=float)
    zone_w = np.array(list(steps.values()), dtype=float)
    if not np.isfinite(zone_w).all() or (zone_w < 0).any():
        raise ValueError(f"steps weights must be finite and non-negative, got {list(zone_w)}")
    order = np.argsort(thresholds)
    thresholds, zone_w = thresholds[order], np.append(zone_w[order], 0.0)  # 0 beyond the last

    # W(d) = weight of the smallest threshold t with d <= t
    return lambda d: zone_w[np.searchsorted(thresholds, d, side="left")]


def _vectorised(fn: Callable) -> Callable[[np.ndarray], np.ndarray]:
    """Call ``fn`` on the whole distance array; fall back to element-wise for scalar-only
    functions such as ``access.weights.step_fn`` (slower)."""

    def weights(d: np.ndarray) -> np.ndarray:
        try:
            return np.asarray(fn(d), dtype=float)
        except (TypeError, ValueError):  # e.g. "truth value of an array is ambiguous"
            return np.fromiter((fn(x) for x in d.tolist()), dtype=float, count=d.size)

    return weights


def _warn_if_degrees(*arrays: np.ndarray) -> None:
    xy = [a for a in arrays if a.size]
    if xy and all((np.abs(a[:, 0]) <= 180).all() and (np.abs(a[:, 1]) <= 90).all() for a in xy):
        warnings.warn(
            "all coordinates lie within +-180, +-90: they look like longitude/latitude degrees, "
            "but distances here are EPSG:27700 metres (reproject, e.g. gdf.to_crs('EPSG:27700'))",
            UserWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------------------------
# Core
# --------------------------------------------------------------------------------------------


def catchment_weights(
    supply_xy,
    demand_xy,
    radius_m: float = 10_000.0,
    decay: Decay = "gaussian",
    *,
    sigma_m: float | None = None,
    steps: Mapping[float, float] | None = None,
) -> sparse.csr_matrix:
    """Sparse distance-decay weights ``W[i, j] = W(d_ij)`` for every pair with ``d_ij <= radius_m``.

    Parameters
    ----------
    supply_xy : (m, 2) array-like, DataFrame (x, y) or GeoSeries/GeoDataFrame of points
        Supply locations, EPSG:27700 metres (geo objects are reprojected).
    demand_xy : (n, 2) array-like, DataFrame (x, y) or GeoSeries/GeoDataFrame of points
        Demand locations, EPSG:27700 metres.
    radius_m, decay, sigma_m, steps
        As for :func:`e2sfca`.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, m), float64
        Rows are demand points, columns supply sites. Pairs outside the catchment are not stored;
        a stored pair may still have weight 0 (a step function shorter than the radius).
    """
    supply = _as_xy(supply_xy, "supply_xy")
    demand = _as_xy(demand_xy, "demand_xy")
    radius = _positive(radius_m, "radius_m")
    weight = _decay_function(decay, radius, sigma_m, steps)
    _warn_if_degrees(supply, demand)
    return _weights(supply, demand, radius, weight).tocsr()


def _pairs(supply: np.ndarray, demand: np.ndarray, radius: float):
    """(demand row, supply column, distance in metres) of every pair with distance <= radius.

    The supply sites are queried in strips of at most ``_CHUNK`` sites (sorted by easting), each
    against one k-d tree of the demand points. At England scale (benchmarks/bench_e2sfca.py,
    1.2 million pairs) this measured ~16 ms against ~31 ms for one query with the whole supply
    tree; the results are identical.
    """
    n, m = len(demand), len(supply)
    if n == 0 or m == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, float)
    demand_tree = cKDTree(demand, balanced_tree=False, compact_nodes=False)
    rows, cols, dist = [], [], []
    for chunk in np.array_split(np.argsort(supply[:, 0], kind="stable"), -(-m // _CHUNK)):
        found = cKDTree(supply[chunk], balanced_tree=False, compact_nodes=False)
        found = found.sparse_distance_matrix(demand_tree, radius, output_type="ndarray")
        rows.append(found["j"])
        cols.append(chunk[found["i"]])
        dist.append(found["v"])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(dist)


def _weights(supply, demand, radius, weight) -> sparse.coo_matrix:
    rows, cols, dist = _pairs(supply, demand, radius)
    w = weight(dist)
    if w.shape != dist.shape:
        raise ValueError(f"the decay function returned shape {w.shape} for {dist.shape} distances")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("the decay function must return finite, non-negative weights")
    # COO: products with a vector need no sorting, so no CSR conversion is paid for
    return sparse.coo_matrix((w, (rows, cols)), shape=(len(demand), len(supply)))


def _two_step(weights, capacity: np.ndarray, population: np.ndarray) -> np.ndarray:
    """The E2SFCA formula (Luo & Qi 2009) on a sparse (n, m) demand x supply weight matrix."""
    # step 1: R_j = S_j / sum_k P_k W(d_kj)      (0 where no weighted demand is in reach)
    demand_in_reach = weights.T @ population  # (m,)
    ratio = np.divide(
        capacity, demand_in_reach, out=np.zeros_like(capacity), where=demand_in_reach > 0
    )
    # step 2: A_i = sum_j R_j W(d_ij)
    return weights @ ratio  # (n,)


def e2sfca(
    supply_xy,
    supply_capacity,
    demand_xy,
    demand_population,
    radius_m: float = 10_000.0,
    decay: Decay = "gaussian",
    *,
    sigma_m: float | None = None,
    steps: Mapping[float, float] | None = None,
) -> np.ndarray:
    """Enhanced two-step floating catchment area access, per person (Luo & Qi 2009).

    ``R_j = S_j / sum_{k: d_kj <= d0} P_k W(d_kj)``, then ``A_i = sum_{j: d_ij <= d0} R_j W(d_ij)``.
    ``decay="none"`` is the original 2SFCA (Luo & Wang 2003).

    Parameters
    ----------
    supply_xy : (m, 2) array-like, DataFrame (x, y) or GeoSeries/GeoDataFrame of points
        Service locations in EPSG:27700 metres (geo objects are reprojected; they need a CRS).
    supply_capacity : (m,) array-like
        Capacity at each site (adviser FTE, refuge spaces), non-negative.
    demand_xy : (n, 2) array-like, DataFrame (x, y) or GeoSeries/GeoDataFrame of points
        Demand locations (e.g. LSOA population-weighted centroids) in EPSG:27700 metres.
    demand_population : (n,) array-like
        Need base at each demand point (e.g. adult women), non-negative.
    radius_m : float, default 10 000
        Catchment radius ``d0`` in metres (straight line); pairs with ``d <= d0`` count.
    decay : {"gaussian", "step", "none"} or callable, default "gaussian"
        Distance-decay weight ``W(d)``, see the module docstring. ``"none"`` = 2SFCA.
    sigma_m : float, optional
        Gaussian width in metres (``decay="gaussian"`` only); default ``radius_m / 2``.
    steps : dict {threshold_m: weight}, optional
        Step weights (``decay="step"`` only); default ``{d0/3: 1.00, 2*d0/3: 0.68, d0: 0.22}``.

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        Capacity per person reachable from each demand point (0 where nothing is in reach).

    Examples
    --------
    One site with 2 FTE and two neighbourhoods of 1,000 people, 1 km and 20 km away:

    >>> import numpy as np
    >>> a = e2sfca([[0, 0]], [2.0], [[1_000, 0], [20_000, 0]], [1_000, 1_000], decay="none")
    >>> (a * 100_000).round(6).tolist()   # FTE per 100,000 people
    [200.0, 0.0]
    """
    supply = _as_xy(supply_xy, "supply_xy")
    demand = _as_xy(demand_xy, "demand_xy")
    capacity = _as_amounts(supply_capacity, len(supply), "supply_capacity", "supply_xy")
    population = _as_amounts(demand_population, len(demand), "demand_population", "demand_xy")
    radius = _positive(radius_m, "radius_m")
    weight = _decay_function(decay, radius, sigma_m, steps)
    _warn_if_degrees(supply, demand)
    return _two_step(_weights(supply, demand, radius, weight), capacity, population)


def access_per_100k(
    supply_xy,
    supply_capacity,
    demand_xy,
    demand_population,
    radius_m: float = 10_000.0,
    decay: Decay = "gaussian",
    *,
    sigma_m: float | None = None,
    steps: Mapping[float, float] | None = None,
) -> np.ndarray:
    """:func:`e2sfca` scaled to capacity per 100,000 of the need base, shape (n,).

    Comparable with per-100,000 benchmarks (e.g. 4 IDVA FTE per 100,000 adult women).

    >>> access_per_100k([[0, 0]], [4.0], [[500, 500]], [100_000], decay="none").tolist()
    [4.0]
    """
    return 100_000.0 * e2sfca(
        supply_xy,
        supply_capacity,
        demand_xy,
        demand_population,
        radius_m,
        decay,
        sigma_m=sigma_m,
        steps=steps,
    )


# --------------------------------------------------------------------------------------------
# GeoDataFrame level
# --------------------------------------------------------------------------------------------


def _points_in_bng(gdf, name: str):
    """The geometries of ``gdf`` reprojected to EPSG:27700, as points (polygon -> centroid)."""
    if gdf.crs is None:
        raise ValueError(
            f"{name} has no CRS; set it (e.g. gdf.set_crs('EPSG:4326') for longitude/latitude "
            "or 'EPSG:27700' for British National Grid metres) before computing distances"
        )
    geoms = gdf.geometry if hasattr(gdf, "geometry") else gdf
    geoms = geoms.to_crs(BNG)
    missing = geoms.isna() | geoms.is_empty
    if missing.any():
        raise ValueError(
            f"{name} has {int(missing.sum())} missing or empty geometries "
            f"(first at index {missing[missing].index[0]!r})"
        )
    if not (geoms.geom_type == "Point").all():
        geoms = geoms.centroid  # polygons/lines: the centroid, computed in metres
    return geoms


def accessibility(
    supply_gdf,
    demand_gdf,
    capacity_col: str,
    population_col: str,
    radius_m: float = 10_000.0,
    decay: Decay = "gaussian",
    *,
    sigma_m: float | None = None,
    steps: Mapping[float, float] | None = None,
    out_col: str = "access_per_100k",
):
    """E2SFCA access per 100,000 of the need base for every row of ``demand_gdf``.

    Both GeoDataFrames are reprojected to EPSG:27700 before distances are measured (each must have
    a CRS). Point geometries are used as they are; polygons are reduced to their centroid in
    EPSG:27700 (pass population-weighted centroids as points where you have them).

    Parameters
    ----------
    supply_gdf : GeoDataFrame, m rows
        Services, with capacity in ``capacity_col``.
    demand_gdf : GeoDataFrame, n rows
        Demand points or areas, with the need base in ``population_col``.
    capacity_col, population_col : str
        Column names.
    radius_m, decay, sigma_m, steps
        As for :func:`e2sfca`.
    out_col : str, default "access_per_100k"
        Name of the result column.

    Returns
    -------
    GeoDataFrame
        A copy of ``demand_gdf`` (same CRS, index and row order) with ``out_col`` added.
        ``result.attrs`` records ``population_col`` and ``out_col`` for :func:`borough_summary`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> services = gpd.GeoDataFrame({"fte": [2.0]}, geometry=[Point(530_000, 180_000)],
    ...                             crs="EPSG:27700")
    >>> areas = gpd.GeoDataFrame({"women": [50_000]}, geometry=[Point(531_000, 180_000)],
    ...                          crs="EPSG:27700")
    >>> accessibility(services, areas, "fte", "women", decay="none")["access_per_100k"].tolist()
    [4.0]
    """
    for name, gdf, col in (
        ("supply_gdf", supply_gdf, capacity_col),
        ("demand_gdf", demand_gdf, population_col),
    ):
        if not hasattr(gdf, "geometry") or not hasattr(gdf, "crs"):
            raise ValueError(f"{name} must be a GeoDataFrame, got {type(gdf).__name__}")
        if col not in gdf.columns:
            raise ValueError(f"{name} has no column {col!r}; columns are {list(gdf.columns)}")

    result = demand_gdf.copy()
    result[out_col] = access_per_100k(
        _as_xy(supply_gdf, "supply_gdf"),  # reprojected to EPSG:27700
        supply_gdf[capacity_col],
        _as_xy(demand_gdf, "demand_gdf"),
        demand_gdf[population_col],
        radius_m,
        decay,
        sigma_m=sigma_m,
        steps=steps,
    )
    result.attrs[_ATTRS_KEY] = {"population_col": population_col, "access_col": out_col}
    return result


def borough_summary(
    demand_result: pd.DataFrame,
    code_col: str,
    population_col: str | None = None,
    access_col: str | None = None,
) -> pd.DataFrame:
    """Population-weighted mean access per borough.

    Parameters
    ----------
    demand_result : DataFrame
        Output of :func:`accessibility` (or any frame with a code, population and access column).
    code_col : str
        Column holding the borough (authority) code of each demand point.
    population_col, access_col : str, optional
        Default to what :func:`accessibility` recorded (``population_col`` it was given and
        ``"access_per_100k"``).

    Returns
    -------
    DataFrame indexed by ``code_col``, sorted by code, with columns ``population`` (total need
    base), ``access_per_100k`` (``sum P_i A_i / sum P_i``; NaN where the population is 0) and
    ``points`` (number of demand points).

    Examples
    --------
    >>> df = pd.DataFrame({"code": ["E09000001", "E09000001", "E09000002"],
    ...                    "women": [100, 300, 50], "access_per_100k": [2.0, 4.0, 1.0]})
    >>> borough_summary(df, "code", population_col="women")  # doctest: +NORMALIZE_WHITESPACE
               population  access_per_100k  points
    code
    E09000001         400              3.5       2
    E09000002          50              1.0       1
    """
    recorded = demand_result.attrs.get(_ATTRS_KEY, {})
    population_col = population_col or recorded.get("population_col")
    access_col = access_col or recorded.get("access_col", "access_per_100k")
    if population_col is None:
        raise ValueError(
            "population_col is needed (it is recorded automatically only on the output of "
            "accessibility())"
        )
    for col in (code_col, population_col, access_col):
        if col not in demand_result.columns:
            raise ValueError(
                f"demand_result has no column {col!r}; columns are {list(demand_result.columns)}"
            )
    frame = pd.DataFrame(
        {
            code_col: demand_result[code_col].to_numpy(),
            "population": demand_result[population_col].to_numpy(),
            "weighted": demand_result[population_col].to_numpy(float)
            * demand_result[access_col].to_numpy(float),
        }
    )
    grouped = frame.groupby(code_col, sort=True)
    out = grouped[["population", "weighted"]].sum()
    pop = out["population"].to_numpy(float)
    out["access_per_100k"] = np.divide(
        out["weighted"].to_numpy(float), pop, out=np.full(len(out), np.nan), where=pop > 0
    )
    out["points"] = grouped.size()
    return out[["population", "access_per_100k", "points"]]
