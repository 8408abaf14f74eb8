"""The app's maps as inline SVG: the authorities filled by class or lot, with hover text.

Why SVG and not a WebGL map (pydeck/deck.gl, used before): the app's maps are 33 fixed outlines at
one scale. In the browser this machine's users have (Chromium without a GPU) deck.gl took 2–10 s of
main-thread time per map, longer than the whole rest of the page; the same map as SVG is drawn in
milliseconds, needs no JavaScript, works offline and is read by assistive technology as one image
with its text alternative (the table beside every map carries the same figures as text).

Input is what :mod:`commissioning.web.webmap` builds for the browser: a GeoJSON FeatureCollection
in WGS84 whose features carry only ``name``, ``line1``..``line5`` (the hover text) and ``fill``
(RGB, or None for no figure: hatched), point records (``lon``, ``lat`` and the same text fields;
confidential services are never among them) and label points (``lon``, ``lat``, ``text``). Display
stays in WGS84 degrees, drawn in an equirectangular projection with x scaled by cos(latitude) at the
map's centre (distortion under 0.3% across London). Every string from data is escaped.
"""

from __future__ import annotations

import html
import math

import numpy as np

from commissioning.web.webmap import POINT_COLOUR, TOOLTIP_LINES

#: Width of the drawing in SVG user units; coordinates are written to 0.1 unit.
WIDTH = 1000.0
# Grey outlines, not white: the near-white coverage class (green under 100%) must keep its borders.
MAP_STYLE = ("<style>.cmap path{stroke:#666;stroke-width:1}.cmap path:hover{stroke:#000;stroke-width:2.5}"
             ".cmap text{font:600 26px sans-serif;fill:#000;paint-order:stroke;stroke:#fff;stroke-width:6px;"
             "stroke-linejoin:round;pointer-events:none}</style>")
#: The fill of an authority with no figure (its feature's ``fill`` is None): white hatched with grey,
#: as in the documents' maps, so it is never mistaken for a class's colour.
NO_FIGURE_ID = "cmap-no-figure"
NO_FIGURE_PATTERN = (f'<defs><pattern id="{NO_FIGURE_ID}" width="8" height="8" patternUnits="userSpaceOnUse" '
                     'patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff"/>'
                     '<line x1="0" y1="0" x2="0" y2="8" stroke="#777" stroke-width="2"/></pattern></defs>')
POINT_STYLE = 'r="5" fill="#{:02x}{:02x}{:02x}" stroke="#000" stroke-width="1.2"'.format(*POINT_COLOUR)


class Projection:
    """lon/lat degrees -> SVG units: equirectangular, x scaled by cos(latitude at the centre)."""

    def __init__(self, bounds: tuple[float, float, float, float], width: float = WIDTH, margin: float = 8.0):
        west, south, east, north = bounds
        self.kx = math.cos(math.radians((south + north) / 2))
        self.scale = (width - 2 * margin) / ((east - west) * self.kx)
        self.west, self.north, self.margin = west, north, margin
        self.width = width
        self.height = (north - south) * self.scale + 2 * margin

    def __call__(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        x = (np.asarray(lon, float) - self.west) * self.kx * self.scale + self.margin
        y = (self.north - np.asarray(lat, float)) * self.scale + self.margin
        return x, y


def _rings(geometry: dict):
    """Every ring (exterior and holes) of a GeoJSON Polygon or MultiPolygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        yield from polygon


def _bounds(collection: dict) -> tuple[float, float, float, float]:
    coords = np.concatenate([np.asarray(ring, float)[:, :2] for f in collection["features"]
                             for ring in _rings(f["geometry"])])
    return (*coords.min(axis=0), *coords.max(axis=0))


def _path(geometry: dict, project: Projection) -> str:
    parts = []
    for ring in _rings(geometry):
        arr = np.asarray(ring, float)
        x, y = project(arr[:, 0], arr[:, 1])
        parts.append("M" + " ".join(f"{a:.1f} {b:.1f}" for a, b in zip(x, y)) + "Z")
    return "".join(parts)


def _title(record: dict) -> str:
    lines = [record.get("name", "")] + [record.get(f"line{i}", "") for i in range(1, TOOLTIP_LINES + 1)]
    lines = [" ".join(str(line).split()) for line in lines]   # no line break from data (see svg_map)
    return html.escape("\n".join(line for line in lines if line))


def _colour(fill) -> str:
    return f"url(#{NO_FIGURE_ID})" if fill is None else "#{:02x}{:02x}{:02x}".format(*fill[:3])


def svg_map(collection: dict, alt: str, points: list[dict] = (), labels: list[dict] = (),
            max_height_px: int = 480) -> str:
    """An inline ``<svg>`` in a ``<div>``: one filled path per feature with its hover text, optional
    points (circles) and labels (text with a white halo), ``alt`` as its accessible name.

    For ``st.markdown(..., unsafe_allow_html=True)``: ``st.html`` would strip the SVG (its sanitiser
    keeps HTML only). The markup is one Markdown HTML block (opened by ``<div>``, no blank line),
    so Markdown leaves it alone; every string from data in it is escaped here.
    """
    project = Projection(_bounds(collection))
    opening = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {project.width:.0f} {project.height:.0f}" '
               f'role="img" aria-label="{html.escape(alt)}" class="cmap" '
               f'style="width:100%;height:auto;max-height:{max_height_px}px;display:block">')
    out = ['<div class="cmap-frame">\n', opening, MAP_STYLE]
    if any(feature["properties"]["fill"] is None for feature in collection["features"]):
        out.append(NO_FIGURE_PATTERN)
    for feature in collection["features"]:
        props = feature["properties"]
        out.append(f'<path fill="{_colour(props["fill"])}" fill-rule="evenodd" '
                   f'd="{_path(feature["geometry"], project)}"><title>{_title(props)}</title></path>')
    for point in points:
        x, y = project(point["lon"], point["lat"])
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" {POINT_STYLE}><title>{_title(point)}</title></circle>')
    for label in labels:
        x, y = project(label["lon"], label["lat"])
        text = html.escape(" ".join(str(label["text"]).split()))
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{text}</text>')
    out.append("</svg>\n</div>")
    return "".join(out)
