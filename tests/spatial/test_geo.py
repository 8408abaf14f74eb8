"""User-supplied boundary files: GeoPackage and Shapefile with another code column."""

from __future__ import annotations

import pytest

from commissioning.boroughs import LONDON_CODES
from commissioning.cli import main
from commissioning.errors import InputError
from commissioning.spatial.geo import adjacency, borough_centres, load_boundaries


@pytest.fixture(scope="module")
def shipped():
    return load_boundaries()


@pytest.fixture(scope="module")
def user_files(shipped, tmp_path_factory):
    """The shipped boundaries re-saved as a GeoPackage (WGS84) and a Shapefile (British National
    Grid), with the code column renamed as ONS names it (LAD24CD)."""
    d = tmp_path_factory.mktemp("boundaries")
    frame = shipped.reset_index().rename(columns={"code": "LAD24CD", "name": "LAD24NM"})
    gpkg, shp = d / "lads.gpkg", d / "lads.shp"
    frame.to_file(gpkg, driver="GPKG")
    frame.to_crs("EPSG:27700").to_file(shp)
    short = frame[frame["LAD24CD"] != "E09000033"]
    short.to_file(d / "no_westminster.gpkg", driver="GPKG")
    return {"gpkg": gpkg, "shp": shp, "short": d / "no_westminster.gpkg"}


def test_shipped_boundaries(shipped):
    assert list(shipped.index) == list(LONDON_CODES)
    assert shipped.crs.to_epsg() == 4326
    assert shipped.loc["E09000012", "name"] == "Hackney"


@pytest.mark.parametrize("kind", ["gpkg", "shp"])
def test_load_user_boundaries_with_code_column(shipped, user_files, kind):
    gdf = load_boundaries(user_files[kind], code_column="LAD24CD", name_column="LAD24NM")
    assert list(gdf.index) == list(LONDON_CODES)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.loc["E09000012", "name"] == "Hackney"
    # the same shapes: areas in BNG agree with the shipped file (the shapefile went via EPSG:27700)
    ours = gdf.to_crs(27700).area
    theirs = shipped.to_crs(27700).area
    assert (abs(ours - theirs) / theirs).max() < 1e-6


def test_wrong_code_column_is_an_error(user_files):
    with pytest.raises(InputError) as info:
        load_boundaries(user_files["gpkg"])
    assert "no code column 'code'" in str(info.value) and "LAD24CD" in str(info.value)


def test_adjacency_and_centres(shipped):
    matrix = adjacency(shipped)
    codes = list(shipped.index)
    i, j = codes.index("E09000012"), codes.index("E09000019")  # Hackney and Islington share a border
    assert matrix[i, j] == 1 and matrix[j, i] == 1
    assert matrix[i, codes.index("E09000006")] == 0  # Hackney and Bromley do not
    assert matrix.diagonal().sum() == 0
    centres = borough_centres(shipped)
    assert centres.crs.to_epsg() == 27700 and len(centres) == 33
    assert shipped.to_crs(27700).loc["E09000012"].geometry.contains(centres.loc["E09000012"].geometry)


def test_assess_with_user_boundaries(user_files, capsys):
    assert main(["assess", "--boundaries", str(user_files["shp"]), "--code-column", "LAD24CD",
                 "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 1 + 33 * 4


def test_assess_boundaries_that_do_not_match_the_data(user_files, capsys):
    code = main(["assess", "--boundaries", str(user_files["short"]), "--code-column", "LAD24CD"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(user_files["short"]) in err and "no boundary for ['E09000033']" in err
    assert "Traceback" not in err
