"""Monthly time-series charts as inline SVG: lines and shaded interval bands on a time axis, with a
legend, axis titles and hover text for every point.

Why SVG drawn here and not a Vega-Lite chart (``st.altair_chart``): Vega-Lite compiles the chart
and draws it in the browser, on the main thread, after the rest of the page (on this project's
machines, Chromium without a GPU, the "Demand over time" page's two charts and three data grids
made it the one page switch slower than a bare Streamlit page). The SVG is drawn with the page,
needs no JavaScript, works offline and is read by assistive technology as one image with its text
alternative; the page's tables carry the same figures as text.

The y axis starts at zero (as Vega-Lite's does for these charts); missing values break a line.
Every string is escaped (``html.escape``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Size of the drawing in SVG user units (it scales to the page's width); plot margins in the same units.
WIDTH, HEIGHT = 1000.0, 380.0
LEFT, RIGHT, TOP, BOTTOM = 78.0, 16.0, 44.0, 56.0
FONT = 15
#: Text #0b0c0c and axis #505a5f on white: 19:1 and 7:1.
CHART_STYLE = ("<style>.cchart text{font:15px sans-serif;fill:#0b0c0c}.cchart .grid{stroke:#e1e1e1}"
               ".cchart .axis{stroke:#505a5f}.cchart .pt{fill-opacity:0;stroke:none}"
               ".cchart .pt:hover{fill-opacity:1}</style>")


@dataclass(frozen=True)
class Band:
    """A shaded interval: ``lower`` to ``upper`` at each of ``months`` (timestamps)."""

    months: Sequence
    lower: Sequence[float]
    upper: Sequence[float]
    label: str
    colour: str
    opacity: float


@dataclass(frozen=True)
class Line:
    """A line through ``values`` at ``months``; ``dash`` an SVG dash pattern (solid if empty);
    ``hover`` one text per point, shown when the pointer is on it."""

    months: Sequence
    values: Sequence[float]
    label: str
    colour: str
    dash: str = ""
    hover: Sequence[str] = ()


def nice_ticks(top: float, count: int = 5) -> np.ndarray:
    """Ticks from 0 to at least ``top`` in steps of 1, 2, 2.5 or 5 times a power of ten, about ``count`` of them."""
    top = top if top > 0 else 1.0
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return np.arange(0, math.ceil(top / step - 1e-9) + 1) * step


def month_ticks(first: pd.Timestamp, last: pd.Timestamp, most: int = 9) -> list[pd.Timestamp]:
    """First days of months from ``first`` to ``last``, every 1, 3, 6, 12, 24 or 60 months (the
    smallest step giving at most ``most`` ticks), on calendar boundaries (January for a year or more)."""
    start, end = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    step = next(s for s in (1, 3, 6, 12, 24, 60) if (end - start) // s + 1 <= most)
    begin = start + (-start) % step
    return [pd.Timestamp(year=m // 12, month=m % 12 + 1, day=1) for m in range(begin, end + 1, step)]


def _days(months) -> np.ndarray:
    """Days since 1970 (whatever the timestamps' resolution)."""
    return pd.DatetimeIndex(months).as_unit("s").asi8 / 86_400


def _path(x: np.ndarray, y: np.ndarray) -> str:
    """``M``/``L`` commands through the points, starting again after each missing value."""
    out, pen_down = [], False
    for a, b in zip(x, y):
        if np.isnan(b):
            pen_down = False
            continue
        out.append(f"{'L' if pen_down else 'M'}{a:.1f} {b:.1f}")
        pen_down = True
    return "".join(out)


def _legend(items: list[tuple[str, str]]) -> str:
    """Swatches (SVG fragments drawn in a 28 × 14 box) and labels in a row above the plot."""
    out, x = [], LEFT
    for swatch, label in items:
        out.append(f'<g transform="translate({x:.0f} 10)">{swatch}<text x="34" y="12">{html.escape(label)}</text></g>')
        x += 34 + 0.55 * FONT * len(label) + 24
    return "".join(out)


def time_chart(bands: Sequence[Band], lines: Sequence[Line], alt: str, y_title: str, x_title: str,
               max_height_px: int = 400) -> str:
    """An inline ``<svg>`` in a ``<div>`` (``role="img"``, ``alt`` as its accessible name): the
    ``bands`` drawn first, then the ``lines`` over them, a legend of both, the y axis from zero.

    For ``st.markdown(..., unsafe_allow_html=True)`` (``st.html`` would strip the SVG); the markup
    is one Markdown HTML block (no blank line), so Markdown leaves it alone.
    """
    first = min(pd.DatetimeIndex(s.months).min() for s in [*bands, *lines])
    last = max(pd.DatetimeIndex(s.months).max() for s in [*bands, *lines])
    top = max([np.nanmax(np.asarray(b.upper, float)) for b in bands]
              + [np.nanmax(np.asarray(s.values, float)) for s in lines])
    y_ticks = nice_ticks(top)
    x0, x1 = _days([first])[0], _days([last])[0]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(months) -> np.ndarray:
        return LEFT + (_days(months) - x0) / max(x1 - x0, 1.0) * plot_w

    def sy(values) -> np.ndarray:
        return TOP + plot_h * (1 - np.asarray(values, float) / y_ticks[-1])

    decimals = 0 if y_ticks[1] >= 1 else max(0, -math.floor(math.log10(y_ticks[1])) + 1)
    out = [f'<div class="cchart-frame">\n<svg xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" role="img" aria-label="{html.escape(alt)}" class="cchart" '
           f'style="width:100%;height:auto;max-height:{max_height_px}px;display:block">', CHART_STYLE]
    for value, y in zip(y_ticks, sy(y_ticks)):
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                   f'<text x="{LEFT - 8}" y="{y + 5:.1f}" text-anchor="end">{value:,.{decimals}f}</text>')
    ticks = month_ticks(first, last)
    yearly = all(t.month == 1 for t in ticks)
    for tick, x in zip(ticks, sx(ticks)):
        label = tick.strftime("%Y" if yearly else "%b %Y")
        out.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 6}"/>'
                   f'<text x="{x:.1f}" y="{TOP + plot_h + 24}" text-anchor="middle">{label}</text>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
               f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{html.escape(x_title)}</text>'
               f'<text transform="translate(18 {TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">'
               f"{html.escape(y_title)}</text>")
    legend = []
    for band in bands:
        x, lo, hi = sx(band.months), sy(band.lower), sy(band.upper)
        keep = ~(np.isnan(lo) | np.isnan(hi))
        points = [*zip(x[keep], hi[keep]), *reversed(list(zip(x[keep], lo[keep])))]
        out.append(f'<polygon fill="{band.colour}" fill-opacity="{band.opacity:g}" '
                   f'points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in points)}"/>')
        legend.append((f'<rect width="28" height="14" fill="{band.colour}" fill-opacity="{band.opacity:g}"/>',
                       band.label))
    for line in lines:
        x, y = sx(line.months), sy(line.values)
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        out.append(f'<path fill="none" stroke="{line.colour}" stroke-width="2.5"{dash} d="{_path(x, y)}"/>')
        out += [f'<circle class="pt" cx="{a:.1f}" cy="{b:.1f}" r="5" fill="{line.colour}">'
                f"<title>{html.escape(text)}</title></circle>"
                for a, b, text in zip(x, y, line.hover) if not np.isnan(b)]
        legend.append((f'<line x1="0" x2="28" y1="7" y2="7" stroke="{line.colour}" stroke-width="2.5"{dash}/>',
                       line.label))
    out.append(_legend(legend))
    out.append("</svg>\n</div>")
    return "".join(out)
