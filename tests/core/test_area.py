"""Areas other than London: `--area population` takes the authorities from population.csv."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

ROOT = Path(__file__).resolve().parents[2]
CODES = ["E06000001", "E06000002", "E06000003", "W06000004"]

BENCHMARKS = """
status: {green_at: 90, amber_at: 60, citation: test}
services:
  idva:
    label: IDVA
    unit: FTE
    use: rate
    models:
      rate: {base: adult_women, per: 4, per_population: 100000, citation: SafeLives}
"""


@pytest.fixture
def area(tmp_path) -> Path:
    """Four 10 km squares in a 2 x 2 grid (British National Grid), outside London."""
    d = tmp_path / "area"
    d.mkdir()
    rows = ["code,name,population,adult_women"]
    for i, code in enumerate(CODES):
        rows.append(f"{code},Area {i + 1},{(i + 1) * 100_000},{(i + 1) * 50_000}")
    (d / "population.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (d / "demand.csv").write_text("code,name,measure,value\n" + "".join(
        f"{c},,marac_cases,{10 * (i + 1)}\n" for i, c in enumerate(CODES)), encoding="utf-8")
    (d / "services.csv").write_text(
        "service_id,provider,service,capacity,areas\n"
        "S1,Shared,idva,3,E06000001;E06000002\n"
        "S2,Everywhere,idva,10,all\n", encoding="utf-8")
    (d / "benchmarks.yaml").write_text(BENCHMARKS, encoding="utf-8")
    squares = [box(400_000 + 10_000 * (i % 2), 300_000 + 10_000 * (i // 2),
                   410_000 + 10_000 * (i % 2), 310_000 + 10_000 * (i // 2)) for i in range(4)]
    gpd.GeoDataFrame({"code": CODES, "name": [f"Area {i + 1}" for i in range(4)]}, geometry=squares,
                     crs="EPSG:27700").to_file(d / "areas.gpkg")
    return d


def cli(*args):
    return subprocess.run([sys.executable, "-m", "commissioning", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_assess_outside_london(area):
    proc = cli("assess", "--data", area, "--area", "population", "--boundaries", area / "areas.gpkg",
               "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(proc.stdout))}
    # need = adult women x 4 / 100,000: 2, 4, 6, 8 FTE.
    # S1 (3 FTE) split 50k:100k adult women -> 1, 2; S2 (10 FTE, all) split 50:100:150:200 -> 1, 2, 3, 4.
    # provision 2, 4, 3, 4; shortfall 0, 0, 3, 4; coverage 100, 100, 50, 50.
    for code, (provision, need, shortfall, coverage) in zip(CODES, [(2, 2, 0, 100), (4, 4, 0, 100),
                                                                  (3, 6, 3, 50), (4, 8, 4, 50)]):
        r = rows[code]
        assert float(r["provision"]) == pytest.approx(provision)
        assert float(r["need"]) == pytest.approx(need)
        assert float(r["shortfall"]) == pytest.approx(shortfall, abs=1e-12)
        assert float(r["coverage_pct"]) == pytest.approx(coverage)
    assert [rows[c]["status"] for c in CODES] == ["green", "green", "red", "red"]


def test_lots_outside_london(area):
    proc = cli("lots", "--data", area, "--area", "population", "--boundaries", area / "areas.gpkg",
               "--k", "2", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    lots = {r["code"]: r["lot"] for r in csv.DictReader(io.StringIO(proc.stdout))}
    assert set(lots) == set(CODES) and len(set(lots.values())) == 2


def test_area_errors(area):
    # Without --area the London rules apply, and the data's codes are rejected by name.
    proc = cli("assess", "--data", area)
    assert proc.returncode == 2 and "E06000001" in proc.stderr and "London" in proc.stderr
    # The shipped London boundaries do not match a non-London area.
    proc = cli("assess", "--data", area, "--area", "population")
    assert proc.returncode == 2 and "boundary codes do not match the data" in proc.stderr
    # A population.csv row without an ONS-format code is named by line and column.
    text = (area / "population.csv").read_text().replace("W06000004", "Wales 4")
    (area / "population.csv").write_text(text)
    proc = cli("assess", "--data", area, "--area", "population", "--boundaries", area / "areas.gpkg")
    assert proc.returncode == 2
    assert "population.csv, line 5, column 'code': 'Wales 4' is not an ONS area code" in proc.stderr
    assert "Traceback" not in proc.stderr
