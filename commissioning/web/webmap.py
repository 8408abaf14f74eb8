"""The maps the app draws in the browser: colour classes, legends and GeoJSON with hover text
(drawn as inline SVG by :mod:`commissioning.web.svgmap`).

Plain functions with no Streamlit import. Everything returned here goes to the browser, so it
carries only names, tooltip lines and colours: points come from ``layers.service_points``, which
drops confidential services.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from shapely.geometry import mapping, shape

from commissioning.needs.assessment import NO_NEED
from commissioning.needs.coverage_classes import (
    COVERAGE_COLOURS,
    coverage_class,
    coverage_classes,
)

#: ColorBrewer Purples in five classes (one hue, so safe for every colour-vision deficiency and
#: readable in greyscale), darker for a larger value: the measures other than coverage %, which uses
#: the status classes of :mod:`commissioning.needs.coverage_classes`.
SEQUENTIAL = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")

#: An authority with no figure is drawn hatched (``svgmap``), never in a colour a class could have;
#: this is its legend swatch (a CSS background).
NO_FIGURE_SWATCH = "repeating-linear-gradient(45deg,#fff 0 3px,#777 3px 4px)"


# Okabe-Ito orange with a black outline for service points (distinct from every class colour).
POINT_COLOUR = (230, 159, 0)


@dataclass(frozen=True)
class Measure:
    """A mapped measure: its column in :func:`coverage_table`, label, legend suffix and which way is better.

    ``suffix`` "{unit}" stands for the service's unit. Coverage % (``status_classes``) is classed as
    the status is (:func:`commissioning.needs.coverage_classes.coverage_class`); other measures by
    data quintiles, or, with ``split_at_zero``, 0 plus the quartiles of the positive values (so
    "surplus" is always its own class), shaded light to dark. ``reading`` tells the legend's reader
    which way is better.
    """

    column: str
    label: str
    suffix: str
    higher_is_better: bool
    reading: str
    status_classes: bool = False
    split_at_zero: bool = False


MEASURES: dict[str, Measure] = {
    "coverage": Measure("coverage_pct", "Coverage (% of need met)", "%", True,
                        "Reds are below the benchmark, blues above it.", status_classes=True),
    "shortfall": Measure("shortfall", "Shortfall (need − provision)", " {unit}", False,
                         "Darker is a larger shortfall (worse); the lightest is a surplus.", split_at_zero=True),
    "access": Measure("access_per_100k", "Access score (E2SFCA: {unit} within reach per 100,000 of the need base)",
                      " per 100k", True, "Darker is more within reach (better)."),
}


def class_breaks(values: pd.Series, measure: Measure) -> list[float]:
    """Ascending class breaks of a measure other than coverage % (four for five classes; fewer when
    the data has few distinct values)."""
    finite = values.astype(float).dropna()
    if measure.split_at_zero:
        positive = finite[finite > 0]
        inner = np.quantile(positive, [0.25, 0.5, 0.75]) if len(positive) else []
        return sorted({0.0, *(_nice(q) for q in inner if _nice(q) > 0)})
    if finite.empty:
        return []
    return sorted({_nice(q) for q in np.quantile(finite, [0.2, 0.4, 0.6, 0.8])})


def _nice(value: float) -> float:
    """Round a break to two significant figures, so legend labels read cleanly."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    digits = 1 - int(math.floor(math.log10(abs(value))))
    return round(float(value), digits)


def classify(values: pd.Series, breaks: list[float]) -> list[int | None]:
    """Class per value, 0 for the lowest values (a value on a break is in the class above it); None
    for a missing value."""
    return [None if math.isnan(v) else int(np.searchsorted(breaks, v, side="right")) for v in values.astype(float)]


def legend(breaks: list[float], measure: Measure, unit: str = "") -> list[tuple[str, str]]:
    """[(hex colour, label)] from the lowest class to the highest, for a measure other than coverage %."""
    suffix = measure.suffix.replace("{unit}", unit)
    if not breaks:
        return [(SEQUENTIAL[0], "All values")]
    labels = ([f"Below {breaks[0]:g}{suffix}"]
              + [f"{a:g} to {b:g}{suffix}" for a, b in zip(breaks, breaks[1:])]
              + [f"{breaks[-1]:g}{suffix} or more"])
    if measure.split_at_zero and breaks[0] == 0:
        labels[0] = f"Surplus: below 0{suffix}"
    return list(zip(_sequential(len(labels)), labels))


def _sequential(n: int) -> tuple[str, ...]:
    """n colours spread over the five sequential classes (n = 5 gives them all)."""
    if n >= len(SEQUENTIAL):
        return SEQUENTIAL
    idx = np.round(np.linspace(0, len(SEQUENTIAL) - 1, n)).astype(int) if n > 1 else [0]
    return tuple(SEQUENTIAL[i] for i in idx)


def _rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def boundary_features(boundaries) -> dict[str, dict]:
    """{code: GeoJSON geometry dict} from a boundaries GeoDataFrame (EPSG:4326, indexed by code).

    Only geometry is kept: the properties shown are attached per measure by :func:`choropleth`.
    """
    return {str(code): mapping(geom) for code, geom in boundaries.geometry.items()}


def _fmt(value: float, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no figure"
    return f"{value:,.{digits}f}{unit}"


#: The hover text of a map feature: its name, then up to five lines (``svgmap`` writes them, escaped,
#: into the feature's SVG ``<title>``).
TOOLTIP_LINES = 5


def _tip(name: str, lines: list[str]) -> dict:
    """Tooltip properties ``name``, ``line1``..``line5`` (blank when unused; extra lines joined into the last)."""
    lines = list(lines)
    if len(lines) > TOOLTIP_LINES:
        lines = lines[:TOOLTIP_LINES - 1] + ["; ".join(lines[TOOLTIP_LINES - 1:])]
    lines += [""] * (TOOLTIP_LINES - len(lines))
    return {"name": str(name), **{f"line{i}": text for i, text in enumerate(lines, start=1)}}


class Choropleth(NamedTuple):
    """A map of one measure: the GeoJSON to draw, its legend and its text alternative."""

    collection: dict
    #: [(colour, label with the number of authorities)], lowest class first, then "no figure" if any.
    legend: list[tuple[str, str]]
    alt: str


def choropleth(features: dict[str, dict], table: pd.DataFrame, measure_key: str, unit: str, *,
               amber_at: float = 60.0, green_at: float = 90.0) -> Choropleth:
    """A GeoJSON FeatureCollection coloured by one measure, its legend and its text alternative.

    Coverage % is classed at the status cut-offs ``amber_at`` and ``green_at`` (%), 100% and 120%,
    as in the documents' maps; the table's ``coverage_pct`` should be unrounded, so the class agrees
    with the status. Each feature carries exactly what its hover text shows: ``name`` and
    ``line1``..``line5`` (provision, need, shortfall, coverage with status, access) plus ``fill``
    (RGB, or None for no figure: drawn hatched). No other field is sent.
    """
    measure = MEASURES[measure_key]
    values = table[measure.column].astype(float)
    if measure.status_classes:
        classes = [None if k < 0 else int(k) for k in coverage_class(values, amber_at, green_at)]
        entries = list(zip(COVERAGE_COLOURS, coverage_classes(amber_at, green_at)[1]))
    else:
        breaks = class_breaks(values, measure)
        classes = classify(values, breaks)
        entries = legend(breaks, measure, unit)
    out = []
    for row, k in zip(table.itertuples(index=False), classes):
        tip = _tip(row.name, [
            f"Provision: {_fmt(row.provision)} {unit}",
            f"Need: {_fmt(row.need)} {unit}",
            f"Shortfall: {_fmt(row.shortfall)} {unit}",
            f"Coverage: {_fmt(row.coverage_pct, '%', 0)} ({row.status})",
            f"Access: {_fmt(row.access_per_100k)} per 100k",
        ])
        out.append({"type": "Feature", "geometry": features[row.code],
                    "properties": {**tip, "fill": None if k is None else _rgb(entries[k][0])}})
    counts = [sum(k == i for k in classes) for i in range(len(entries))]
    # The coverage scale is fixed, so an empty class stays in its legend; data classes are never empty
    # unless every figure is missing.
    key = [(colour, f"{label} ({n})") for (colour, label), n in zip(entries, counts) if n or measure.status_classes]
    none = [k is None and status == NO_NEED for k, status in zip(classes, table["status"])]
    no_need, missing = sum(none), sum(k is None for k in classes) - sum(none)
    if no_need:
        key.append((NO_FIGURE_SWATCH, f"No need ({no_need})"))
    if missing:
        key.append((NO_FIGURE_SWATCH, f"No figure ({missing})"))
    alt = _alt(table, measure, unit, [label for _, label in entries], counts, missing, no_need)
    return Choropleth({"type": "FeatureCollection", "features": out}, key, alt)


def _alt(table: pd.DataFrame, measure: Measure, unit: str, labels: list[str], counts: list[int],
         missing: int, no_need: int = 0) -> str:
    """The map's text alternative: what it shows, how many authorities are in each class and the three
    worst-served with their figures."""
    def authorities(n: int) -> str:
        return f"{n} {'authority' if n == 1 else 'authorities'}"

    suffix, digits = measure.suffix.replace("{unit}", unit), 0 if measure.status_classes else 1
    classes = [f"{label}: {authorities(n)}" for label, n in zip(labels, counts) if n]
    if no_need:
        classes.append(f"No need: {authorities(no_need)}")
    if missing:
        classes.append(f"No figure: {authorities(missing)}")
    ranked = table.dropna(subset=[measure.column]).sort_values(measure.column, ascending=measure.higher_is_better)
    worst = ", ".join(f"{r.name} {_fmt(getattr(r, measure.column), suffix, digits)}"
                      for r in ranked.head(3).itertuples(index=False))
    label = measure.label.replace("{unit}", unit)
    return (f"Map of the {len(table)} authorities coloured by {label}. " + "; ".join(classes) + "."
            + (f" Worst served: {worst}." if worst else "") + " The table beside the map gives every figure.")


def point_records(points: pd.DataFrame, label: str, unit: str) -> list[dict]:
    """Tooltip-ready records (``lon``, ``lat`` and the hover-text fields of :func:`_tip`) for
    ``layers.service_points(ds, service)``.

    ``service_points`` has already dropped every confidential row; the check below is a second
    line of defence, not the filter.
    """
    if "confidential" in points.columns and points["confidential"].astype(bool).any():
        raise ValueError("confidential services must not be sent to the map")
    records = []
    for row in points.itertuples(index=False):
        lines = [f"{label} service: {row.capacity:g} {unit}"]
        if isinstance(row.specialism, str) and row.specialism.strip():
            lines.append(f"Specialism: {row.specialism.strip()}")
        records.append({"lon": round(float(row.lon), 5), "lat": round(float(row.lat), 5),
                        **_tip(row.provider, lines)})
    return records


def legend_html(items: list[tuple[str, str]], title: str, horizontal: bool = False, note: str = "") -> str:
    """A small HTML legend (a swatch and a text label per class) for ``st.html``; ``note`` (e.g. which
    way is better) goes under the title. A swatch is any CSS background (a colour or a hatch)."""
    swatch = ('<span style="display:inline-flex;align-items:center;gap:.35rem;margin:.1rem .9rem .1rem 0">'
              '<span style="display:inline-block;width:1.3rem;height:.9rem;background:{c};border:1px solid #555">'
              '</span><span>{label}</span></span>')
    rows = "".join(swatch.format(c=c, label=html.escape(label)) for c, label in items)
    layout = "display:flex;flex-wrap:wrap;align-items:center" if horizontal else "display:flex;flex-direction:column"
    reading = f'<div>{html.escape(note)}</div>' if note else ""
    return (f'<div aria-label="{html.escape(title)}" style="font-size:.9rem">'
            f'<strong style="margin-right:.8rem">{html.escape(title)}</strong>{reading}'
            f'<div style="{layout}">{rows}</div></div>')


# Okabe-Ito qualitative colours (black left out so borders stay visible): up to 7 lots distinct.
LOT_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")


def lot_colours(labels: list[str]) -> dict[str, str]:
    """{lot label: hex colour}; colours repeat after seven lots (the map also labels every lot)."""
    return {label: LOT_COLOURS[i % len(LOT_COLOURS)] for i, label in enumerate(labels)}


def lots_collection(features: dict[str, dict], lots, service_names: dict[str, str]) -> tuple[dict, list[dict]]:
    """The lots map: authorities filled by lot colour, and one label point per lot.

    ``lots`` is a :class:`~commissioning.spatial.lots.Lots`; ``service_names`` {service: short name}.
    Hover text: the authority, its lot, and that lot's coverage and need per service
    type. Label points (``lon``, ``lat``, ``text``) sit at the mean of a representative point of
    each of the lot's authorities.
    """
    colours = lot_colours(lots.labels)
    lot_lines = {lot: [f"{service_names.get(r.service, r.service)}: coverage {_fmt(r.coverage_pct, '%', 0)}, "
                       f"need {r.need:,.1f}" for r in rows.itertuples()]
                 for lot, rows in lots.summary.groupby("lot", sort=False)}
    out = []
    for row in lots.assignment.itertuples(index=False):
        out.append({"type": "Feature", "geometry": features[row.code],
                    "properties": {**_tip(row.name, [row.lot, *lot_lines.get(row.lot, [])]),
                                   "fill": _rgb(colours[row.lot])}})
    label_points = []
    for lot, rows in lots.assignment.groupby("lot", sort=False):
        points = [shape(features[c]).representative_point() for c in rows["code"]]
        label_points.append({"lon": round(float(np.mean([p.x for p in points])), 4),
                             "lat": round(float(np.mean([p.y for p in points])), 4), "text": lot.split(" (")[0]})
    return {"type": "FeatureCollection", "features": out}, label_points
