"""Print-quality choropleth maps of the gap table (matplotlib, no pyplot state).

Maps are drawn in British National Grid (EPSG:27700), where the grid is north-up and one unit is a
metre, so the scale bar is exact. Coverage classes read the same way as the tables' status: the
class breaks are the red/amber/green cut-offs and 100%, coloured with ColorBrewer's RdBu, centred on
100% coverage (:mod:`commissioning.needs.coverage_classes`, shared with the app's maps). Labels are dark
text with a white halo, in full where they fit inside their authority without touching another
label, abbreviated otherwise (with a key). No service location is ever drawn.
"""

from __future__ import annotations

import io
import re
import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrow, Rectangle
from shapely.geometry import box

from commissioning.needs.coverage_classes import (
    COVERAGE_COLOURS,
    coverage_class,
    coverage_classes,
)
from commissioning.spatial.geo import to_bng

#: Used when the data's sources list has no "boundaries" entry.
BOUNDARY_ATTRIBUTION = (
    "Office for National Statistics, Local Authority Districts (May 2020) Boundaries UK BGC, via "
    "open-innovations/geography-bits. Contains OS data (c) Crown copyright and database right 2020. "
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0"
)


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
                     width_in: float = 6.7, height_in: float = 4.9, amber_at: float = 60.0,
                     green_at: float = 90.0) -> bytes:
    """A PNG choropleth of coverage (% of benchmark) per authority.

    ``boundaries_bng``: GeoDataFrame in EPSG:27700 indexed by code; ``coverage_pct``: Series
    indexed by code (NaN = no figure, drawn hatched). Five classes broken at the status cut-offs
    ``amber_at`` and ``green_at`` (%), 100% and 120% (see :func:`coverage_classes`), legend with
    counts, north arrow, 10 km scale bar and the boundaries' attribution. Returns PNG bytes at
    ``dpi`` for a figure of ``width_in`` x ``height_in`` inches. ``title`` goes into the PNG's
    metadata; the document prints the figure's caption and text alternative.
    """
    gdf = boundaries_bng.copy()
    values = coverage_pct.reindex(gdf.index).astype(float)
    _, class_labels = coverage_classes(amber_at, green_at)
    classes = coverage_class(values, amber_at, green_at)
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.0, 0.08, 0.68, 0.91])
    missing = values.isna().to_numpy()
    gdf.plot(ax=ax, color=["white" if missing[i] else COVERAGE_COLOURS[c] for i, c in enumerate(classes)],
             edgecolor="white", linewidth=0.6)
    if missing.any():
        gdf.loc[missing].plot(ax=ax, facecolor="white", edgecolor="#777777", hatch="///", linewidth=0.4)
    gdf.boundary.plot(ax=ax, color="#333333", linewidth=0.3)
    _frame(ax, gdf)
    key = place_labels(ax, gdf)

    lax = _legend_axes(fig, [0.70, 0.50, 0.30, 0.45], "Coverage of the benchmark\n(authorities)")
    entries = list(zip(class_labels, COVERAGE_COLOURS))
    counts = np.bincount(classes[~missing], minlength=len(class_labels))
    if missing.any():
        entries.append(("no need figure", None))
    for i, (label, colour) in enumerate(entries):
        y = 0.70 - i * 0.12
        patch = Rectangle((0, y), 0.12, 0.08, facecolor=colour or "white", edgecolor="#555555", linewidth=0.5,
                          hatch=None if colour is not None else "///")
        lax.add_patch(patch)
        n = int(missing.sum()) if colour is None else int(counts[i])
        lax.text(0.16, y + 0.04, f"{label} ({n})", va="center", fontsize=6.8)
    if key:
        fig.text(0.70, 0.45, "Abbreviations\n" + "\n".join(f"{a}  {n}" for a, n in key), fontsize=6.2,
                 va="top", color="#222222", linespacing=1.25)
    fig.text(0.01, 0.012, _wrap(attribution, 150), fontsize=5.4, color="#444444", va="bottom")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={"Title": title})
    return buffer.getvalue()


HALO = [patheffects.withStroke(linewidth=1.8, foreground="white")]


def place_labels(ax, gdf: gpd.GeoDataFrame, suffix: pd.Series | None = None, fontsize: float = 5.6
                 ) -> list[tuple[str, str]]:
    """Label every authority with a white-haloed name; return the abbreviations used as
    ``[(abbreviation, full name)]`` for a key.

    A label is the full name (wrapped at spaces onto two lines when long) if it overlaps no label
    already placed (largest authorities first) and, for a name of several words, three quarters of
    its box lie inside the authority;
    otherwise the abbreviation (:func:`short_name`). ``suffix``: extra text per code on a second
    line (e.g. the lot number).
    """
    renderer = ax.figure.canvas.get_renderer()
    to_data = ax.transData.inverted()
    points = gdf.geometry.representative_point()
    placed: list = []
    key = []
    for i in np.argsort(-gdf.geometry.area.to_numpy()):
        name, shape, point = str(gdf["name"].iloc[i]), gdf.geometry.iloc[i], points.iloc[i]
        extra = "" if suffix is None else f"\n{suffix.get(gdf.index[i], '')}"
        text = None
        for candidate, is_short in ((_wrap_name(name), False), (short_name(name), True)):
            label = ax.text(point.x, point.y, candidate + extra, ha="center", va="center", fontsize=fontsize,
                            color="#111111", path_effects=HALO, linespacing=1.05)
            (x0, y0), (x1, y1) = to_data.transform(label.get_window_extent(renderer).extents.reshape(2, 2))
            bounds = box(x0, y0, x1, y1)
            inside = shape.intersection(bounds).area / bounds.area
            fits = (inside >= 0.75 or " " not in name) and not any(bounds.intersects(b) for b in placed)
            if fits or is_short:
                placed.append(bounds)
                text = candidate
                break
            label.remove()
        if text != _wrap_name(name):
            key.append((text, name))
    return sorted(set(key))


def _wrap_name(name: str) -> str:
    """A full name on one line, or two lines split near the middle when it has three words or more
    or is longer than 12 characters."""
    words = name.split()
    if len(words) < 2 or len(name) <= 12:
        return name
    best = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))))
    return " ".join(words[:best]) + "\n" + " ".join(words[best:])


def short_name(name: str) -> str:
    """An abbreviation for a crowded map (explained in the map's key): one-word names up to 8
    letters in full, "X and Y" as initials ("K&C"), "City of London" as "City", others as the
    initials of their words ("TH" for Tower Hamlets, "WF" for Waltham Forest, "Westm" style
    five-letter stems for long one-word names)."""
    words = str(name).replace("-", " ").split()
    if words[0] == "City":
        return "City"
    if len(words) == 1:
        return words[0] if len(words[0]) <= 8 else words[0][:5] + "."
    return "&".join(w[0] for w in words if w != "and") if "and" in words else "".join(w[0] for w in words
                                                                                       if w[0].isupper())


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
                *, dpi: int = 200, width_in: float = 6.7, height_in: float = 4.9, title: str = "Lots",
                term: str = "Lot") -> bytes:
    """A PNG map of commissioning lots: each authority filled with its lot's colour and labelled.

    ``assignment``: DataFrame with ``code`` and ``lot`` (as :class:`commissioning.spatial.lots.Lots`
    gives), each label holding the lot's number. Lots are also told apart by ``term`` and their number
    on every authority ("Lot 2"), so the map reads in greyscale; ``title`` heads the legend. Legend, north arrow, 10 km scale bar and attribution as :func:`coverage_map_png`.
    """
    gdf = boundaries_bng.copy()
    lots = assignment.set_index("code")["lot"].reindex(gdf.index)
    labels = sorted(lots.dropna().unique(), key=_number)
    colour = {lot: OKABE_ITO[i % len(OKABE_ITO)] for i, lot in enumerate(labels)}
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.0, 0.08, 0.68, 0.91])
    gdf.plot(ax=ax, color=[colour.get(lot, "white") for lot in lots], edgecolor="white", linewidth=0.6)
    gdf.boundary.plot(ax=ax, color="#333333", linewidth=0.3)
    _frame(ax, gdf)
    numbers = lots.map(lambda lot: f"{term} {_number(lot)}" if isinstance(lot, str) else "")
    key = place_labels(ax, gdf, suffix=numbers, fontsize=5.2)
    lax = _legend_axes(fig, [0.70, 0.45, 0.30, 0.5], title)
    for i, lot in enumerate(labels):
        y = 0.80 - i * 0.1
        lax.add_patch(Rectangle((0, y), 0.12, 0.07, facecolor=colour[lot], edgecolor="#555555", linewidth=0.5))
        lax.text(0.16, y + 0.035, str(lot), va="center", fontsize=7)
    if key:
        fig.text(0.70, 0.42, "Abbreviations\n" + "\n".join(f"{a}  {n}" for a, n in key), fontsize=6.2,
                 va="top", color="#222222", linespacing=1.25)
    fig.text(0.01, 0.012, _wrap(attribution, 150), fontsize=5.4, color="#444444", va="bottom")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _number(label) -> int:
    """The number in a lot's label ("Lot 2 (North)", "Scenario area 2")."""
    return int(re.search(r"\d+", str(label)).group())
