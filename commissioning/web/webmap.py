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

import numpy as np
import pandas as pd
from shapely.geometry import mapping, shape

# Viridis in five classes (matplotlib's "viridis" at 0, .25, .5, .75, 1): perceptually uniform and
# readable with the common colour-vision deficiencies. Class 0 is always the worst-served.
PALETTE = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


NO_FIGURE = "#e6e6e6"


# Okabe-Ito orange with a black outline for service points (distinct from every viridis class).
POINT_COLOUR = (230, 159, 0)


@dataclass(frozen=True)
class Measure:
    """A mapped measure: its column in :func:`coverage_table`, label, legend suffix and direction.

    ``suffix`` "{unit}" stands for the service's unit. Class breaks are ``breaks`` when fixed;
    otherwise data quintiles, or, with ``split_at_zero``, 0 plus the quartiles of the positive values
    (so "surplus" is always its own class).
    """

    column: str
    label: str
    higher_is_better: bool
    suffix: str
    breaks: tuple[float, ...] | None = None
    split_at_zero: bool = False


MEASURES: dict[str, Measure] = {
    "coverage": Measure("coverage_pct", "Coverage (% of need met)", True, "%", (30.0, 60.0, 90.0, 120.0)),
    "shortfall": Measure("shortfall", "Shortfall (need − provision)", False, " {unit}", split_at_zero=True),
    "access": Measure("access_per_100k", "Access score (E2SFCA: {unit} within reach per 100,000 of the need base)",
                      True, " per 100k"),
}


def class_breaks(values: pd.Series, measure: Measure) -> list[float]:
    """Ascending class breaks (four for five classes; fewer when the data has few distinct values)."""
    if measure.breaks is not None:
        return list(measure.breaks)
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


def classify(values: pd.Series, breaks: list[float], higher_is_better: bool) -> list[int | None]:
    """Palette index per value (0 = worst-served class); None for a missing value."""
    out: list[int | None] = []
    n = len(breaks)
    for v in values.astype(float):
        if math.isnan(v):
            out.append(None)
            continue
        k = int(np.searchsorted(breaks, v, side="right"))  # 0..n, ascending value
        out.append(k if higher_is_better else n - k)
    return out


def legend(breaks: list[float], measure: Measure, unit: str = "") -> list[tuple[str, str]]:
    """[(hex colour, label)] from worst-served to best-served, then the no-figure swatch."""
    suffix = measure.suffix.replace("{unit}", unit)
    if breaks:
        labels = ([f"below {breaks[0]:g}{suffix}"]
                  + [f"{a:g} to {b:g}{suffix}" for a, b in zip(breaks, breaks[1:])]
                  + [f"{breaks[-1]:g}{suffix} or more"])
        if measure.split_at_zero and breaks[0] == 0:
            labels[0] = f"below 0{suffix} (surplus)"
    else:
        labels = ["all values"]
    if not measure.higher_is_better:
        labels = labels[::-1]
    colours = _palette(len(labels))
    return list(zip(colours, labels)) + [(NO_FIGURE, "no figure")]


def _palette(n: int) -> tuple[str, ...]:
    """n colours spread over the five-class palette (n = 5 gives the palette itself)."""
    if n >= len(PALETTE):
        return PALETTE
    idx = np.round(np.linspace(0, len(PALETTE) - 1, n)).astype(int) if n > 1 else [0]
    return tuple(PALETTE[i] for i in idx)


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


def choropleth(features: dict[str, dict], table: pd.DataFrame, measure_key: str,
               unit: str) -> tuple[dict, list[tuple[str, str]]]:
    """A GeoJSON FeatureCollection coloured by one measure, and its legend.

    Each feature carries exactly what its hover text shows: ``name`` and
    ``line1``..``line5`` (provision, need, shortfall, coverage with status, access) plus ``fill``
    (RGB). No other field is sent.
    """
    measure = MEASURES[measure_key]
    breaks = class_breaks(table[measure.column], measure)
    classes = classify(table[measure.column], breaks, measure.higher_is_better)
    colours = _palette(len(breaks) + 1)
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
                    "properties": {**tip, "fill": _rgb(NO_FIGURE if k is None else colours[k])}})
    return {"type": "FeatureCollection", "features": out}, legend(breaks, measure, unit)


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


def legend_html(items: list[tuple[str, str]], title: str, horizontal: bool = False) -> str:
    """A small HTML legend (a swatch and a text label per class) for ``st.html``."""
    swatch = ('<span style="display:inline-flex;align-items:center;gap:.35rem;margin:.1rem .9rem .1rem 0">'
              '<span style="display:inline-block;width:1.3rem;height:.9rem;background:{c};border:1px solid #555">'
              '</span><span>{label}</span></span>')
    rows = "".join(swatch.format(c=c, label=html.escape(label)) for c, label in items)
    layout = "display:flex;flex-wrap:wrap;align-items:center" if horizontal else "display:flex;flex-direction:column"
    return (f'<div aria-label="{html.escape(title)}" style="font-size:.9rem">'
            f'<strong style="margin-right:.8rem">{html.escape(title)}</strong>'
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
