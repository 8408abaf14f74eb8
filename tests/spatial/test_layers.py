"""Map-ready layers and accessibility wiring (commissioning/layers.py)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import Point

from commissioning.errors import InputError
from commissioning.needs.assessment import assess
from commissioning.needs.dataset import load_dataset
from commissioning.spatial.geo import BNG, WGS84, borough_centres, load_boundaries
from commissioning.spatial.layers import (
    BOROUGH_LAYER_COLUMNS,
    borough_layer,
    demand_access,
    lot_layer,
    service_access,
    service_points,
    supply_points,
)
from commissioning.spatial.lots import make_lots

SERVICES_CSV = Path(__file__).resolve().parents[2] / "data" / "services.csv"


def read_raw_services() -> list[dict]:
    with open(SERVICES_CSV, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


REFUGES = [r for r in read_raw_services() if r["service"] == "refuge"]


@pytest.fixture(scope="module")
def london():
    ds = load_dataset()
    boundaries = load_boundaries()
    gaps = assess(ds)
    lots = make_lots(ds, 5, "all", boundaries, gaps)
    return ds, boundaries, gaps, lots


@pytest.fixture(scope="module")
def display_layers(london):
    ds, boundaries, gaps, lots = london
    layers = {"service_points": service_points(ds), "service_points_refuge": service_points(ds, "refuge"),
              "lots": lot_layer(lots, boundaries)}
    for service in ds.service_types:
        access = service_access(ds, service, boundaries)
        layers[f"boroughs_{service}"] = borough_layer(ds, gaps, service, boundaries, lots, access)
        layers[f"access_points_{service}"] = demand_access(ds, service, boundaries)
        layers[f"supply_{service}"] = supply_points(ds, service, borough_centres(boundaries))
    return layers


def numbers(value):
    """Every number inside a parsed JSON value."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        yield float(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from numbers(v)


def test_refuge_coordinates_appear_in_no_layer(display_layers):
    assert len(REFUGES) >= 30  # every refuge in data/services.csv has coordinates to protect
    lonlat = np.array([[float(r["lon"]), float(r["lat"])] for r in REFUGES])
    to_bng = Transformer.from_crs(WGS84, BNG, always_xy=True)
    refuge_bng = np.column_stack(to_bng.transform(lonlat[:, 0], lonlat[:, 1]))
    singles = set(lonlat.ravel().tolist())
    wgs_tree, bng_tree = cKDTree(lonlat), cKDTree(refuge_bng)
    for name, layer in display_layers.items():
        # 1. geometry: no vertex within ~1 m of a refuge, in degrees and in BNG metres
        xy_wgs = shapely.get_coordinates(layer.to_crs(WGS84).geometry.to_numpy())
        xy_bng = shapely.get_coordinates(layer.to_crs(BNG).geometry.to_numpy())
        if len(xy_wgs):
            assert wgs_tree.query(xy_wgs)[0].min() > 1e-5, name
            assert bng_tree.query(xy_bng)[0].min() > 1.0, name
        # 2. attributes: no number equal to a refuge latitude or longitude
        attributes = layer.drop(columns="geometry").select_dtypes("number").to_numpy(float).ravel()
        assert not any(abs(v - s) < 1e-9 for v in attributes for s in singles), name
        # 3. the GeoJSON a map or API would serve
        text = layer.to_crs(WGS84).to_json()
        doc = json.loads(text)
        for feature in doc["features"]:
            props = list(numbers(feature["properties"]))
            assert not any(abs(v - s) < 1e-9 for v in props for s in singles), name
            coords = shapely.get_coordinates(shapely.from_geojson(json.dumps(feature["geometry"])))
            if len(coords):
                assert wgs_tree.query(coords)[0].min() > 1e-5, name
        for r in REFUGES:
            assert not re.search(rf"\[\s*{re.escape(r['lon'])}0*\s*,\s*{re.escape(r['lat'])}0*\s*\]", text), name


def test_service_points_drop_confidential_rows_entirely(london):
    ds, *_ = london
    points = service_points(ds)
    confidential = set(ds.services.loc[ds.services["confidential"], "service_id"])
    assert confidential and not confidential & set(points["service_id"])
    raw = [r for r in read_raw_services() if r["confidential"].lower() != "true" and r["lat"] and r["lon"]]
    assert sorted(points["service_id"]) == sorted(r["service_id"] for r in raw)
    assert points.crs == WGS84 and "confidential" not in points.columns
    assert len(service_points(ds, "refuge")) == 0


def test_supply_placement(london):
    ds, boundaries, *_ = london
    centres = borough_centres(boundaries)
    supply = supply_points(ds, "refuge", centres)
    # all 586 refuge spaces are placed, each exactly at its borough's centre
    assert supply["capacity"].sum() == pytest.approx(ds.services.loc[ds.services["service"] == "refuge",
                                                                     "capacity"].sum())
    expected = centres.geometry.reindex(supply["code"]).to_numpy()
    assert all(a.equals(b) for a, b in zip(supply.geometry, expected))
    # a pan-London IDVA service's own point (Charing Cross) is not a supply point
    idva = supply_points(ds, "idva", centres)
    pan = ds.services.loc[(ds.services["service"] == "idva") & (ds.services["areas"].map(len) == 33)].iloc[0]
    own = gpd.GeoSeries([Point(pan["lon"], pan["lat"])], crs=WGS84).to_crs(BNG)[0]
    assert idva.distance(own).min() > 1.0
    assert idva["capacity"].sum() == pytest.approx(ds.services.loc[ds.services["service"] == "idva",
                                                                   "capacity"].sum())


def test_access_with_everything_in_reach_is_the_london_rate(london):
    ds, boundaries, *_ = london
    # 1,000 km radius, no decay: every site reaches every borough, so access is the same everywhere,
    # total IDVA FTE / total adult women x 100,000 (both read straight from the CSVs here)
    total_fte = sum(float(r["capacity"]) for r in read_raw_services() if r["service"] == "idva")
    with open(SERVICES_CSV.parent / "population.csv", newline="", encoding="utf-8") as f:
        women = sum(float(r["adult_women"]) for r in csv.DictReader(f))
    access = service_access(ds, "idva", boundaries, radius_m=1_000_000, decay="none")
    assert list(access.columns) == ["code", "name", "service", "population", "access_per_100k"]
    assert len(access) == 33
    assert access["access_per_100k"].to_numpy() == pytest.approx(np.full(33, total_fte / women * 1e5))
    assert access["population"].sum() == pytest.approx(women)


def test_user_demand_points(london):
    ds, boundaries, *_ = london
    hackney = boundaries.to_crs(BNG).loc["E09000012"].geometry.representative_point()
    camden = boundaries.to_crs(BNG).loc["E09000007"].geometry.representative_point()
    points = gpd.GeoDataFrame({"people": [1_000, 3_000, 500]}, crs=BNG,
                              geometry=[hackney, Point(hackney.x + 10, hackney.y), camden])
    access = service_access(ds, "idva", boundaries, radius_m=1_000_000, decay="none",
                            demand_points=points, population_col="people").set_index("code")
    # points matched to boroughs by location: Hackney 1,000 + 3,000, Camden 500, the rest none
    assert access.loc["E09000012", "population"] == 4_000 and access.loc["E09000007", "population"] == 500
    assert access["population"].sum() == 4_500
    # everything in reach: every point gets total FTE / 4,500 people x 100,000
    total_fte = ds.services.loc[ds.services["service"] == "idva", "capacity"].sum()
    assert access.loc["E09000012", "access_per_100k"] == pytest.approx(total_fte / 4_500 * 1e5)
    assert np.isnan(access.loc["E09000001", "access_per_100k"])
    outside = gpd.GeoDataFrame({"people": [1]}, geometry=[Point(300_000, 100_000)], crs=BNG)
    with pytest.raises(InputError, match="outside the area"):
        service_access(ds, "idva", boundaries, demand_points=outside, population_col="people")
    with pytest.raises(InputError, match="no column 'population'"):
        service_access(ds, "idva", boundaries, demand_points=points)


def test_borough_layer(london):
    ds, boundaries, gaps, lots = london
    access = service_access(ds, "refuge", boundaries)
    layer = borough_layer(ds, gaps, "refuge", boundaries, lots, access)
    assert list(layer.columns) == BOROUGH_LAYER_COLUMNS and layer.crs == WGS84 and len(layer) == 33
    row = layer.set_index("code").loc["E09000012"]
    gap = gaps.loc[(gaps["service"] == "refuge") & (gaps["code"] == "E09000012")].iloc[0]
    assert row["shortfall"] == gap["shortfall"] and row["status"] == gap["status"]
    assert row["lot"] == lots.assignment.set_index("code").loc["E09000012", "lot"]
    assert row["access_per_100k"] == access.set_index("code").loc["E09000012", "access_per_100k"]
    bare = borough_layer(ds, gaps, "refuge", boundaries)
    assert bare["lot"].isna().all() and bare["access_per_100k"].isna().all()
    with pytest.raises(InputError, match="unknown service"):
        borough_layer(ds, gaps, "cats", boundaries)


def test_lot_layer(london):
    _, boundaries, _, lots = london
    layer = lot_layer(lots, boundaries)
    assert layer["lot"].tolist() == lots.labels and layer["authorities"].sum() == 33
    # the dissolved lots cover the same area as the boroughs (within the sliver closing)
    area = boundaries.to_crs(BNG).area.sum()
    assert layer.to_crs(BNG).area.sum() == pytest.approx(area, rel=1e-3)
