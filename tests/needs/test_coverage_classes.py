"""Coverage classes shared by the documents' maps and the app's: breaks at the status cut-offs,
100% and 120%; known boroughs classed by hand; the PDF's map and the app's map agree."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from shapely.geometry import box

from commissioning.needs.assessment import run_assessment
from commissioning.needs.coverage_classes import COVERAGE_COLOURS, coverage_class, coverage_classes
from commissioning.needs.dataset import load_dataset
from commissioning.publish.pdf.maps import coverage_map_png
from commissioning.spatial.geo import load_boundaries
from commissioning.web import appdata, webmap

RED, AMBER, GREEN_UNDER_100, GREEN_TO_120, GREEN_120_PLUS = COVERAGE_COLOURS


def test_a_value_on_a_break_is_in_the_class_above_as_the_status_is():
    values = [0.0, 59.99, 60.0, 89.99, 90.0, 99.99, 100.0, 119.99, 120.0, 500.0, float("nan")]
    assert coverage_class(values, 60.0, 90.0).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1]
    # the status of the same values, from the benchmarks, agrees on red / amber / green
    status = load_dataset().benchmarks.status(values)
    assert [s for s in status] == ["red", "red", "amber", "amber", *["green"] * 6, "n/a"]
    # other cut-offs move the first two breaks only
    assert coverage_class([49.0, 50.0, 79.0, 80.0], 50.0, 80.0).tolist() == [0, 1, 1, 2]


def test_legend_labels_name_the_status():
    breaks, labels = coverage_classes(60.0, 90.0)
    assert breaks == (60.0, 90.0, 100.0, 120.0)
    assert labels == ("Red: under 60%", "Amber: 60% to under 90%", "Green: 90% to under 100%",
                      "Green: 100% to under 120%", "Green: 120% or more")


@pytest.fixture(scope="module")
def idva_map():
    ds = load_dataset()
    table = appdata.coverage_table(run_assessment(ds).gaps, "idva")
    drawn = webmap.choropleth(webmap.boundary_features(load_boundaries()), table, "coverage", "FTE",
                              amber_at=ds.benchmarks.amber_at, green_at=ds.benchmarks.green_at)
    return table, drawn


def test_known_boroughs_class_by_hand(idva_map):
    # IDVA need = adult women x 4 / 100,000 (benchmarks.yaml). Provision = the borough's own services
    # plus its share of the pan-London 24 FTE by adult women (London: 3,710,626 in population.csv).
    #   City of London: 3,616 women -> need 0.1446; 24 x 3,616 / 3,710,626 = 0.0234 FTE -> 16.2%: red
    #   Havering: 110,195 -> need 4.4078; 2.1 + 0.7127 = 2.8127 FTE -> 63.8%: amber
    #   Croydon: 163,868 -> need 6.5547; 3.1 + 1.9 + 1.0599 = 6.0599 FTE -> 92.5%: green under 100%
    #   Wandsworth: 145,291 -> need 5.8116; 6.0 + 0.9397 = 6.9397 FTE -> 119.4%: green 100% to under 120%
    #   Barking and Dagenham: 84,673 -> need 3.3869; 3.5 + 1.2 + 0.5477 = 5.2477 FTE -> 154.9%: 120% or more
    table, drawn = idva_map
    expected = {"City of London": RED, "Havering": AMBER, "Croydon": GREEN_UNDER_100,
                "Wandsworth": GREEN_TO_120, "Barking and Dagenham": GREEN_120_PLUS}
    fill = {f["properties"]["name"]: "#{:02x}{:02x}{:02x}".format(*f["properties"]["fill"])
            for f in drawn.collection["features"]}
    assert {name: fill[name] for name in expected} == expected
    coverage = table.set_index("name")["coverage_pct"]
    assert coverage["Wandsworth"] == pytest.approx(119.41, abs=0.01)   # unrounded: the class follows the status
    # the hover text still states the figures and the status
    havering = next(f["properties"] for f in drawn.collection["features"] if f["properties"]["name"] == "Havering")
    assert havering["line1"] == "Provision: 2.8 FTE" and havering["line4"] == "Coverage: 64% (amber)"


def test_legend_counts_and_text_alternative_state_the_figures(idva_map):
    table, drawn = idva_map
    status = table["status"].value_counts()
    labels = [label for _, label in drawn.legend]
    assert labels[0] == f"Red: under 60% ({status['red']})"
    assert labels[1] == f"Amber: 60% to under 90% ({status['amber']})"
    greens = sum(int(label.rsplit("(", 1)[1].rstrip(")")) for label in labels[2:])
    assert greens == status["green"] and len(labels) == 5
    # IDVA: City of London 16%, Hillingdon 62% and Merton 63% are the lowest (see the hand check above)
    assert "Red: under 60%: 1 authority;" in drawn.alt
    assert "Worst served: City of London 16%, Hillingdon 62%, Merton 63%." in drawn.alt


def test_other_measures_are_shaded_light_to_dark_with_the_better_way_said():
    values = pd.Series([-2.0, 1.0, 2.0, 3.0, 4.0])
    shortfall = webmap.MEASURES["shortfall"]
    breaks = webmap.class_breaks(values, shortfall)          # 0 and the quartiles of 1..4: 1.75, 2.5, 3.25
    assert breaks == [0.0, 1.8, 2.5, 3.2]
    assert webmap.classify(values, breaks) == [0, 1, 2, 3, 4]
    assert [c for c, _ in webmap.legend(breaks, shortfall, "FTE")] == list(webmap.SEQUENTIAL)
    assert "larger shortfall (worse)" in shortfall.reading
    assert "(better)" in webmap.MEASURES["access"].reading
    assert not set(webmap.SEQUENTIAL) & set(COVERAGE_COLOURS)


# ---------------------------------------------------------------------------------------------
# The PDF's map and the app's map give the same class to the same value
# ---------------------------------------------------------------------------------------------

SIDE = 10_000.0      # m: each test authority is a 10 km square in British National Grid
GAP = 2_000.0
FILLER = 30_000.0    # m: a wide square at each end, no figure, under the scale bar and the north arrow


def _hex(pixel) -> str:
    return "#{:02x}{:02x}{:02x}".format(*pixel[:3])


def test_pdf_and_app_give_the_same_class_to_the_same_value():
    values = [59.9, 60.0, 89.9, 90.0, 99.9, 100.0, 119.9, 120.0, 20.0]
    x, squares = 0.0, [box(0, 0, FILLER, SIDE)]
    x = FILLER + GAP
    for _ in values:
        squares.append(box(x, 0, x + SIDE, SIDE))
        x += SIDE + GAP
    squares.append(box(x, 0, x + FILLER, SIDE))
    codes = [f"T{i:02d}" for i in range(len(squares))]
    bng = gpd.GeoDataFrame({"name": [c[-1] for c in codes]}, geometry=squares, index=codes, crs="EPSG:27700")
    coverage = pd.Series([np.nan, *values, np.nan], index=codes)
    dpi, width_in, height_in = 100, 6.7, 4.9
    png = coverage_map_png(bng, coverage, "test", dpi=dpi, width_in=width_in, height_in=height_in)
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    height_px, width_px = image.shape[:2]
    # coverage_map_png's axes: [0, 0.08, 0.68, 0.91] of the figure, equal aspect, limits the data's
    # bounds plus 2% of the width; this row of squares is wide, so the axes keep their full width
    # and the squares sit on the axes' middle row.
    xmin, xmax = 0.0, x + FILLER
    pad = 0.02 * (xmax - xmin)

    def column(easting: float) -> int:
        return int(round((easting - (xmin - pad)) / (xmax - xmin + 2 * pad) * 0.68 * width_px))

    row = int(round((1 - (0.08 + 0.91 / 2)) * height_px))
    pdf_colours = []
    for square in squares[1:-1]:
        left, _, right, _ = square.bounds
        sampled = {_hex(image[row, column(left + 0.2 * SIDE)]), _hex(image[row, column(right - 0.2 * SIDE)])}
        assert len(sampled) == 1, f"two colours in one square: {sampled}"
        pdf_colours.append(sampled.pop())

    table = pd.DataFrame({"code": codes[1:-1], "name": codes[1:-1], "provision": 1.0, "need": 1.0, "shortfall": 0.0,
                          "coverage_pct": values, "status": "", "access_per_100k": np.nan})
    features = {c: {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]} for c in codes}
    drawn = webmap.choropleth(features, table, "coverage", "FTE", amber_at=60.0, green_at=90.0)
    app_colours = ["#{:02x}{:02x}{:02x}".format(*f["properties"]["fill"]) for f in drawn.collection["features"]]
    assert pdf_colours == app_colours == [RED, AMBER, AMBER, GREEN_UNDER_100, GREEN_UNDER_100, GREEN_TO_120,
                                          GREEN_TO_120, GREEN_120_PLUS, RED]
