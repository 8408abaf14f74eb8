"""The inline SVG maps: projection by hand, one path per authority, escaped hover text."""

from __future__ import annotations

import math
import re

import pytest

from commissioning.web import svgmap


def square(lon: float, lat: float, size: float = 0.1) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": g, "properties": {"name": n, "line1": "Provision: 1.0 FTE", "line2": "",
                                                         "line3": "", "line4": "", "line5": "", "fill": [68, 1, 84]}}
        for n, g in features]}


def test_projection_by_hand():
    # London-ish box: lon -0.5..0.3, lat 51.3..51.7; centre latitude 51.5, cos = 0.62251
    p = svgmap.Projection((-0.5, 51.3, 0.3, 51.7), width=1000, margin=8)
    kx = math.cos(math.radians(51.5))
    scale = 984 / (0.8 * kx)
    assert p.scale == pytest.approx(scale)
    x, y = p(-0.5, 51.7)                       # north-west corner -> the margin
    assert (float(x), float(y)) == pytest.approx((8, 8))
    x, y = p(0.3, 51.3)                        # south-east corner -> width - margin, height - margin
    assert float(x) == pytest.approx(992)
    assert float(y) == pytest.approx(0.4 * scale + 8) and p.height == pytest.approx(0.4 * scale + 16)


def test_one_path_per_feature_points_labels_and_escaping():
    svg = svgmap.svg_map(collection(("Barking <b>&</b> Dagenham", square(0.0, 51.5)), ("Sutton", square(-0.2, 51.3))),
                         "Map of <two> areas",
                         points=[{"lon": 0.05, "lat": 51.55, "name": "Org \"A\"", "line1": "IDVA service: 2 FTE"}],
                         labels=[{"lon": -0.15, "lat": 51.35, "text": "Lot 1 <x>"}])
    assert svg.startswith('<div class="cmap-frame">\n<svg') and svg.endswith("</svg>\n</div>")
    assert "\n\n" not in svg          # one Markdown HTML block: no blank line inside
    assert 'role="img" aria-label="Map of &lt;two&gt; areas"' in svg
    assert len(re.findall(r'<path fill="#440154"', svg)) == 2
    assert "<title>Barking &lt;b&gt;&amp;&lt;/b&gt; Dagenham\nProvision: 1.0 FTE</title>" in svg
    assert "<b>" not in svg and "<x>" not in svg
    assert svg.count("<circle ") == 1 and "Org &quot;A&quot;\nIDVA service: 2 FTE" in svg
    assert ">Lot 1 &lt;x&gt;</text>" in svg


def test_multipolygon_with_hole_draws_every_ring():
    outer = square(0.0, 51.0, 1.0)["coordinates"][0]
    hole = square(0.4, 51.4, 0.2)["coordinates"][0]
    geometry = {"type": "MultiPolygon", "coordinates": [[outer, hole], square(2.0, 51.0)["coordinates"]]}
    svg = svgmap.svg_map(collection(("A", geometry)), "A map")
    d = re.search(r' d="([^"]*)"', svg).group(1)
    assert d.count("M") == 3 and d.count("Z") == 3 and 'fill-rule="evenodd"' in svg


def test_an_authority_with_no_figure_is_hatched_never_a_class_colour():
    shown = collection(("A", square(0.0, 51.5)), ("B", square(0.2, 51.5)))
    shown["features"][1]["properties"]["fill"] = None
    svg = svgmap.svg_map(shown, "A map")
    assert re.findall(r'<path fill="([^"]*)"', svg) == ["#440154", f"url(#{svgmap.NO_FIGURE_ID})"]
    assert svg.count(f'<pattern id="{svgmap.NO_FIGURE_ID}"') == 1
    # no pattern when every authority has a figure
    assert "<pattern" not in svgmap.svg_map(collection(("A", square(0.0, 51.5))), "A map")
