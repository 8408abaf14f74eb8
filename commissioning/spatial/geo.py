"""Borough boundaries: loading, projection and contiguity.

Boundaries are stored and displayed in WGS84 (EPSG:4326); every distance and area is computed in
British National Grid (EPSG:27700, metres).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from commissioning.errors import InputError
from commissioning.paths import DEFAULT_BOUNDARIES

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"
# The ONS "BGC" boundaries are generalised to 20 m, so neighbours can be separated by slivers.
CONTIGUITY_TOLERANCE_M = 25.0


def load_boundaries(path: str | Path | None = None, code_column: str = "code",
                    name_column: str | None = "name") -> gpd.GeoDataFrame:
    """Read a boundary file (GeoJSON, GeoPackage, Shapefile) keyed by an area code.

    Returns a GeoDataFrame in EPSG:4326 indexed by ``code`` (str) with columns ``name`` and
    ``geometry``, sorted by code. A file without a CRS is read as WGS84 only if it is GeoJSON
    (RFC 7946); otherwise it is an error.
    """
    path = Path(path) if path is not None else DEFAULT_BOUNDARIES
    if not path.exists():
        raise InputError("boundary file not found", file=path)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(f"cannot read boundary file: {exc}", file=path,
                         expected="GeoJSON, GeoPackage or Shapefile") from None
    if len(gdf) == 0:
        raise InputError("boundary file has no features", file=path)
    if code_column not in gdf.columns:
        raise InputError(f"no code column {code_column!r}; columns are {sorted(map(str, gdf.columns))}",
                         file=path, column=code_column, expected="a column of area codes")
    if gdf.crs is None:
        if path.suffix.lower() not in {".geojson", ".json"}:
            raise InputError("boundary file has no coordinate reference system", file=path,
                             expected="a .prj file or an embedded CRS")
        gdf = gdf.set_crs(WGS84)
    codes = gdf[code_column].astype(str).str.strip()
    duplicated = codes[codes.duplicated()]
    if len(duplicated):
        raise InputError(f"duplicate codes {sorted(set(duplicated))}", file=path, column=code_column,
                         expected="one feature per area")
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        bad = codes[gdf.geometry.isna() | gdf.geometry.is_empty].tolist()
        raise InputError(f"features without geometry: {bad}", file=path, column="geometry")
    names = gdf[name_column].astype(str) if name_column and name_column in gdf.columns else codes
    out = gpd.GeoDataFrame({"code": codes.values, "name": names.values},
                           geometry=gdf.geometry.values, crs=gdf.crs).to_crs(WGS84)
    return out.set_index("code").sort_index()


def check_codes(boundaries: gpd.GeoDataFrame, codes, file: str | Path | None = None) -> None:
    """Raise if the boundary codes and the data's codes differ."""
    have, want = set(boundaries.index), set(codes)
    missing, extra = sorted(want - have), sorted(have - want)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"no boundary for {missing}")
        if extra:
            parts.append(f"boundaries for codes not in the data {extra}")
        raise InputError("boundary codes do not match the data: " + "; ".join(parts), file=file,
                         column="code", expected="one boundary per authority in the data")


def to_bng(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Project to British National Grid (metres)."""
    if gdf.crs is None:
        raise ValueError("GeoDataFrame has no CRS; set it before projecting")
    return gdf.to_crs(BNG)


def adjacency(boundaries: gpd.GeoDataFrame, tolerance_m: float = CONTIGUITY_TOLERANCE_M) -> sparse.csr_matrix:
    """Contiguity matrix (n x n, 0/1, symmetric, zero diagonal) in the row order of ``boundaries``.

    Two areas are neighbours when their boundaries come within ``tolerance_m`` metres (a spatial
    join on an STRtree; the tolerance absorbs slivers left by generalisation).
    """
    bng = to_bng(boundaries).reset_index(drop=True)
    grown = gpd.GeoDataFrame(geometry=bng.geometry.buffer(tolerance_m / 2), crs=bng.crs)
    pairs = gpd.sjoin(grown, grown, predicate="intersects")
    left, right = pairs.index.to_numpy(), pairs["index_right"].to_numpy()
    keep = left != right
    n = len(bng)
    matrix = sparse.coo_matrix((np.ones(keep.sum()), (left[keep], right[keep])), shape=(n, n)).tocsr()
    matrix.data[:] = 1.0
    return matrix


def borough_centres(boundaries: gpd.GeoDataFrame, points: gpd.GeoDataFrame | None = None,
                    weight_column: str = "population", code_column: str = "code") -> gpd.GeoDataFrame:
    """One point per area in EPSG:27700, indexed by code.

    With ``points`` (e.g. LSOA population-weighted centroids carrying ``code`` and a weight
    column) this is the population-weighted mean location; without, the polygon centroid.
    """
    bng = to_bng(boundaries)
    centres = bng.geometry.centroid
    if points is not None:
        pts = to_bng(points)
        frame = pd.DataFrame({"code": pts[code_column].astype(str), "w": pts[weight_column].astype(float),
                              "x": pts.geometry.x, "y": pts.geometry.y})
        frame["wx"], frame["wy"] = frame.w * frame.x, frame.w * frame.y
        sums = frame.groupby("code")[["w", "wx", "wy"]].sum()
        sums = sums[sums.w > 0]
        weighted = gpd.GeoSeries.from_xy(sums.wx / sums.w, sums.wy / sums.w, index=sums.index, crs=BNG)
        centres = weighted.reindex(bng.index).fillna(centres)
    return gpd.GeoDataFrame({"name": bng["name"]}, geometry=centres, crs=BNG)
