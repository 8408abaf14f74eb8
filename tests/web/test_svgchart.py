"""The inline SVG time-series charts: axes and scales by hand, gaps, hover text, escaping."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from commissioning.web import svgchart
from commissioning.web.svgchart import Band, Line, month_ticks, nice_ticks, time_chart

MONTHS = pd.period_range("2024-01", periods=5, freq="M").to_timestamp()   # Jan to May 2024


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


def test_nice_ticks_by_hand():
    assert list(nice_ticks(2463)) == [0, 500, 1000, 1500, 2000, 2500]      # raw step 492.6 -> 500
    assert list(nice_ticks(90)) == [0, 20, 40, 60, 80, 100]                 # raw 18 -> 20
    assert list(nice_ticks(12)) == pytest.approx([0, 2.5, 5, 7.5, 10, 12.5])   # raw 2.4 -> 2.5
    assert list(nice_ticks(0)) == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])  # nothing to show: 0 to 1


def test_month_ticks_on_calendar_boundaries():
    ts = pd.Timestamp
    # Feb 2015 to Feb 2026 is 132 months: yearly would be 12 ticks (> 9), so every 2 years, on even Januaries
    assert month_ticks(ts("2015-02-01"), ts("2026-02-01")) == [ts(f"{y}-01-01") for y in range(2016, 2027, 2)]
    # Mar 2023 to Feb 2029 (71 months): every year, from January 2024
    assert month_ticks(ts("2023-03-01"), ts("2029-02-01"))[0] == ts("2024-01-01")
    # Jan to May 2024: every month
    assert month_ticks(ts("2024-01-01"), ts("2024-05-01")) == list(MONTHS)


def test_points_are_placed_by_hand():
    svg = time_chart([], [Line(MONTHS, [0, 10, 20, 30, 40], "Count", "#000000")], "Chart", "per month", "Month")
    # y ticks 0..40 by 10 -> top 40; plot from x=78 to 984, y=44 (top) to 324 (bottom)
    d = re.search(r'<path fill="none" stroke="#000000" stroke-width="2.5" d="([^"]+)"', svg).group(1)
    xy = np.array(numbers(d)).reshape(-1, 2)
    days = np.array([0, 31, 60, 91, 121])                                  # Jan 1 .. May 1 2024 (leap year)
    assert xy[:, 0] == pytest.approx(78 + days / 121 * 906, abs=0.05)
    assert xy[:, 1] == pytest.approx([324, 254, 184, 114, 44], abs=0.05)
    assert d.startswith("M78.0 324.0L") and d.count("M") == 1
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert labels == ["0", "10", "20", "30", "40"]
    assert re.findall(r'text-anchor="middle">([^<]+)</text>', svg)[:5] == [
        "Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024", "May 2024"]


def test_a_missing_value_breaks_the_line_and_has_no_hover_point():
    values = [1.0, 2.0, np.nan, 4.0, 5.0]
    svg = time_chart([], [Line(MONTHS, values, "Count", "#000000", hover=[f"h{i}" for i in range(5)])], "C", "y", "x")
    d = re.search(r'stroke-width="2.5" d="([^"]+)"', svg).group(1)
    assert d.count("M") == 2 and d.count("L") == 2
    assert re.findall(r"<title>(h\d)</title>", svg) == ["h0", "h1", "h3", "h4"]


def test_band_polygon_goes_along_the_upper_edge_and_back_along_the_lower():
    band = Band(MONTHS[:2], [10, 20], [30, 40], "95% interval", "#1d70b8", 0.25)
    svg = time_chart([band], [], "C", "y", "x")
    points = re.search(r'<polygon fill="#1d70b8" fill-opacity="0.25" points="([^"]+)"', svg).group(1)
    xy = np.array(numbers(points.replace(",", " "))).reshape(-1, 2)
    # ticks 0..40: y = 324 - 280 * v / 40
    assert xy[:, 1] == pytest.approx([114, 44, 184, 254], abs=0.05)   # upper 30, 40; then lower 20, 10
    assert xy[0, 0] == xy[3, 0] == 78.0 and xy[1, 0] == xy[2, 0] == 984.0
    assert '<rect width="28" height="14" fill="#1d70b8" fill-opacity="0.25"/><text x="34" y="12">95% interval</text>' \
        in svg


def test_text_is_escaped_and_the_chart_is_one_markdown_block():
    line = Line(MONTHS, [1, 2, 3, 4, 5], "A <b>&</b> B", "#000000", "8 5", hover=["<i>x</i>"] * 5)
    svg = time_chart([], [line], 'Chart of "A" <b>', "<y>", "<x>")
    assert svg.startswith('<div class="cchart-frame">\n<svg') and svg.endswith("</svg>\n</div>")
    assert "\n\n" not in svg
    assert 'role="img" aria-label="Chart of &quot;A&quot; &lt;b&gt;"' in svg
    assert "<b>" not in svg and "<i>" not in svg and "<y>" not in svg and "<x>" not in svg
    assert ">A &lt;b&gt;&amp;&lt;/b&gt; B</text>" in svg and 'stroke-dasharray="8 5"' in svg
    assert svgchart.CHART_STYLE in svg
