"""Print-quality choropleth maps of the gap table (matplotlib, no pyplot state).

Maps are drawn in British National Grid (EPSG:27700), where the grid is north-up and one unit is a
metre, so the scale bar is exact. The colour map is ``cividis`` (perceptually uniform, readable by
people with colour-vision deficiency and in greyscale). No service location is ever drawn.
"""

from __future__ import annotations

import io
import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrow, Rectangle

from commissioning.spatial.geo import to_bng

#: Used when the data's sources list has no "boundaries" entry.
BOUNDARY_ATTRIBUTION = (
    "Office for National Statistics, Local Authority Districts (May 2020) Boundaries UK BGC, via "
    "open-innovations/geography-bits. Contains OS data (c) Crown copyright and database right 2020. "
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0"
)
#: Coverage classes (% of the benchmark met); the last class is open-ended.
COVERAGE_BINS = (0, 30, 60, 90, 120, 1_000_000)
COVERAGE_LABELS = ("under 30%", "30–60%", "60–90%", "90–120%", "120% or more")
CMAP = "cividis"


def boundary_attribution(sources: list[dict]) -> str:
    """The OGL attribution of the boundaries from ``sources.yaml`` (entry id ``boundaries``)."""
    for source in sources:
        if source.get("id") == "boundaries" and source.get("note"):
            return " ".join(str(source["note"]).split())
    return BOUNDARY_ATTRIBUTION


def projected(boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Boundaries in EPSG:27700 (reuse the result for every map of a document)."""
    return boundaries if str(boundaries.crs).upper().endswith("27700") else to_bng(boundaries)


def coverage_map_png(boundaries_bng: gpd.GeoDataFrame, coverage_pct: pd.Series, title: str,
                     attribution: str = BOUNDARY_ATTRIBUTION, *, dpi: int = 200,
                     width_in: float = 6.7, height_in: float = 4.9) -> bytes:
    """A PNG choropleth of coverage (% of benchmark) per authority.

    ``boundaries_bng``: GeoDataFrame in EPSG:27700 indexed by code; ``coverage_pct``: Series
    indexed by code (NaN = no figure, drawn hatched). Five classes (see :data:`COVERAGE_BINS`),
    legend, north arrow, 10 km scale bar and the boundaries' attribution. Returns PNG bytes at
    ``dpi`` for a figure of ``width_in`` x ``height_in`` inches.
    """
    gdf = boundaries_bng.copy()
    values = coverage_pct.reindex(gdf.index).astype(float)
    classes = np.digitize(values.fillna(-1).to_numpy(), COVERAGE_BINS[1:-1])
    cmap = _cmap()
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_axes([0.0, 0.07, 0.74, 0.92])
    missing = values.isna().to_numpy()
    colours = [cmap(c / (len(COVERAGE_LABELS) - 1)) for c in classes]
    gdf.plot(ax=ax, color=["white" if missing[i] else colours[i] for i in range(len(gdf))],
             edgecolor="white", linewidth=0.6)
    if missing.any():
        gdf.loc[missing].plot(ax=ax, facecolor="white", edgecolor="#777777", hatch="///", linewidth=0.4)
    gdf.boundary.plot(ax=ax, color="#333333", linewidth=0.25)
    _labels(ax, gdf, classes, missing)
    _frame(ax, gdf)

    lax = _legend_axes(fig, [0.75, 0.45, 0.24, 0.45], "Coverage of\nthe benchmark")
    entries = list(zip(COVERAGE_LABELS, [cmap(i / (len(COVERAGE_LABELS) - 1)) for i in range(len(COVERAGE_LABELS))]))
    counts = np.bincount(classes[~missing], minlength=len(COVERAGE_LABELS))
    if missing.any():
        entries.append(("no figure", None))
    for i, (label, colour) in enumerate(entries):
        y = 0.72 - i * 0.13
        patch = Rectangle((0, y), 0.16, 0.09, facecolor=colour or "white", edgecolor="#555555", linewidth=0.5,
                          hatch=None if colour is not None else "///")
        lax.add_patch(patch)
        n = int(missing.sum()) if colour is None else int(counts[i])
        lax.text(0.22, y + 0.045, f"{label} ({n})", va="center", fontsize=7.5)
    fig.text(0.75, 0.36, _wrap(title, 30), fontsize=7.5, va="top", color="#333333")
    fig.text(0.01, 0.015, _wrap(attribution, 135), fontsize=5.8, color="#444444", va="bottom")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _cmap():
    from matplotlib import colormaps

    return colormaps[CMAP]


def _labels(ax, gdf: gpd.GeoDataFrame, classes: np.ndarray, missing: np.ndarray) -> None:
    """Three-letter borough labels, dark on light fills and light on dark ones."""
    points = gdf.geometry.representative_point()
    for i, point in enumerate(points):
        dark_fill = not missing[i] and classes[i] <= 1
        ax.text(point.x, point.y, short_name(gdf["name"].iloc[i]), ha="center", va="center", fontsize=5.4,
                color="white" if dark_fill else "#111111")


def short_name(name: str) -> str:
    """A map label: one-word names in full, "X and Y" as initials ("K&C"), "X upon Y" as "X",
    other names as the first word and an initial ("Tower H"); "City of London" is "City"."""
    words = str(name).replace("-", " ").split()
    if len(words) == 1:
        return words[0]
    if words[0] == "City":
        return "City"
    if "and" in words[1:-1]:
        return "&".join(w[0] for w in words if w != "and")
    if "upon" in words:
        return words[0]
    return f"{words[0]} {words[1][0]}"


def _legend_axes(fig, rect: list[float], title: str):
    """An empty unit-square axes beside the map for a hand-drawn legend, with its title on top."""
    lax = fig.add_axes(rect)
    lax.set_axis_off()
    lax.set_xlim(0, 1)
    lax.set_ylim(0, 1)
    lax.text(0, 0.98, title, va="top", fontsize=8, fontweight="bold")
    return lax


def _frame(ax, gdf) -> None:
    """North-up extent with a 2% margin, a north arrow and a scale bar (EPSG:27700 axes)."""
    ax.set_aspect("equal")
    ax.set_axis_off()
    xmin, ymin, xmax, ymax = gdf.total_bounds
    pad = 0.02 * (xmax - xmin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    _north_arrow(ax, xmax, ymax, pad)
    _scale_bar(ax, xmin + pad, ymin + pad)


def _north_arrow(ax, xmax: float, ymax: float, pad: float) -> None:
    x, y = xmax - 2 * pad, ymax - 7 * pad
    ax.add_patch(FancyArrow(x, y, 0, 4 * pad, width=0.5 * pad, head_width=1.6 * pad, head_length=1.6 * pad,
                            length_includes_head=True, color="#222222"))
    ax.text(x, y - 0.6 * pad, "N", ha="center", va="top", fontsize=8, fontweight="bold")


def _scale_bar(ax, x: float, y: float, length_m: float = 10_000) -> None:
    half = length_m / 2
    for i, colour in enumerate(("#222222", "white", "#222222", "white")):
        ax.add_patch(Rectangle((x + i * half / 2, y), half / 2, 350, facecolor=colour, edgecolor="#222222",
                               linewidth=0.5))
    for offset, text in ((0, "0"), (half, "5"), (length_m, "10 km")):
        ax.text(x + offset, y + 700, text, ha="center", va="bottom", fontsize=6)
    ax.text(x, y - 500, "British National Grid (EPSG:27700)", va="top", fontsize=5, color="#444444")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))



#: Okabe & Ito (2008) colour-blind-safe qualitative palette (black left out), for lots.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")


def lot_map_png(boundaries_bng: gpd.GeoDataFrame, assignment: pd.DataFrame, attribution: str = BOUNDARY_ATTRIBUTION,
                *, dpi: int = 200, width_in: float = 6.7, height_in: float = 4.9) -> bytes:
    """A PNG map of commissioning lots: each authority filled with its lot's colour and labelled.

    ``assignment``: DataFrame with ``code`` and ``lot`` (as :class:`commissioning.spatial.lots.Lots`
    gives). Lots are also told apart by their number on every authority, so the map reads in
    greyscale. Legend, north arrow, 10 km scale bar and attribution as :func:`coverage_map_png`.
    """
    gdf = boundaries_bng.copy()
    lots = assignment.set_index("code")["lot"].reindex(gdf.index)
    labels = sorted(lots.dropna().unique(), key=lambda s: int(str(s).split()[1]))
    colour = {lot: OKABE_ITO[i % len(OKABE_ITO)] for i, lot in enumerate(labels)}
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_axes([0.0, 0.07, 0.74, 0.92])
    gdf.plot(ax=ax, color=[colour.get(lot, "white") for lot in lots], edgecolor="white", linewidth=0.6)
    gdf.boundary.plot(ax=ax, color="#333333", linewidth=0.25)
    for point, name, lot in zip(gdf.geometry.representative_point(), gdf["name"], lots):
        number = str(lot).split()[1] if isinstance(lot, str) else ""
        ax.text(point.x, point.y, f"{short_name(name)}\n{number}", ha="center", va="center", fontsize=5.0,
                color="#111111", linespacing=1.1)
    _frame(ax, gdf)
    lax = _legend_axes(fig, [0.75, 0.3, 0.24, 0.6], "Lots")
    for i, lot in enumerate(labels):
        y = 0.84 - i * 0.1
        lax.add_patch(Rectangle((0, y), 0.14, 0.07, facecolor=colour[lot], edgecolor="#555555", linewidth=0.5))
        lax.text(0.2, y + 0.035, str(lot), va="center", fontsize=7.5)
    fig.text(0.01, 0.015, _wrap(attribution, 135), fontsize=5.8, color="#444444", va="bottom")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()
