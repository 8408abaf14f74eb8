"""Needs assessment at national scale: load, validate, need, gaps and lots for 331 authorities.

Synthetic input (seed fixed), written to a temporary directory:
- 331 authorities with codes in ONS format (E06 x76, E07 x164, E08 x36, E09 x33, W06 x22);
- population.csv (population, adult_women), demand.csv (4 measures per authority, long format),
  services.csv (~3 services per authority plus 30 shared across 2-5 authorities and 3 national
  ones; every refuge confidential) and a copy of data/benchmarks.yaml;
- boundaries: the Voronoi tessellation (shapely.voronoi_polygons) of 331 random points over the
  British National Grid extent of England (x 130-660 km, y 10-660 km), written as GeoJSON (WGS84).

Timed pipeline ("ours"): load_boundaries + load_dataset(dir, authorities=...) + assess + make_lots(k=9).
Peer ("row-by-row"): the straightforward way to load and compute the gap table -- Python's csv
module and loops over rows, no validation -- followed by the same make_lots call, so both sides do
the whole pipeline and only the front end differs. The peer's gap table is checked to equal ours.
Times are the median of 5 runs. peak_mb is the process's peak RSS (ru_maxrss) right after our
runs, before the peer runs (it includes the interpreter and the imported libraries); the
tracemalloc peak of one extra run of ours (Python and numpy allocations only) is printed too.

Ends with: RESULT bench=national ours_s=<s> peer_s=<s> ratio=<peer/ours> peak_mb=<MB>
"""

from __future__ import annotations

import csv
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import yaml
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from commissioning.needs.assessment import assess  # noqa: E402
from commissioning.needs.dataset import load_dataset  # noqa: E402
from commissioning.paths import DEFAULT_DATA_DIR  # noqa: E402
from commissioning.spatial.geo import BNG, adjacency, load_boundaries  # noqa: E402
from commissioning.spatial.lots import make_lots  # noqa: E402

PREFIXES = [("E06", 76), ("E07", 164), ("E08", 36), ("E09", 33), ("W06", 22)]
K = 9
RUNS = 5


def make_data(folder: Path, seed: int = 20251128) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    codes = [f"{prefix}{i:06d}" for prefix, n in PREFIXES for i in range(1, n + 1)]
    authorities = {code: f"Authority {i:03d}" for i, code in enumerate(codes, start=1)}
    n = len(codes)

    xy = np.column_stack([rng.uniform(130_000, 660_000, n), rng.uniform(10_000, 660_000, n)])
    extent = shapely.box(130_000, 10_000, 660_000, 660_000)
    cells = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=extent, ordered=True)
    polygons = shapely.intersection(np.asarray(shapely.get_parts(cells)), extent)
    gpd.GeoDataFrame({"code": codes, "name": list(authorities.values())}, geometry=polygons, crs=BNG) \
        .to_crs("EPSG:4326").to_file(folder / "boundaries.geojson", driver="GeoJSON")

    population = rng.integers(30_000, 1_100_000, n)
    adult_women = (population * rng.uniform(0.38, 0.44, n)).astype(int)
    with open(folder / "population.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "population", "adult_women"])
        w.writerows(zip(codes, authorities.values(), population, adult_women))

    with open(folder / "demand.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "measure", "value", "illustrative"])
        for code, name, pop in zip(codes, authorities.values(), population):
            for measure, rate in (("sexual_offences", 2.6e-3), ("rape_offences", 1.0e-3),
                                  ("domestic_abuse_offences", 1.4e-2), ("marac_cases", 1.7e-3)):
                w.writerow([code, name, measure, int(pop * rate * rng.uniform(0.7, 1.3)), "true"])

    services = ["idva", "isva", "refuge", "ld_advocate"]
    with open(folder / "services.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["service_id", "provider", "service", "capacity", "areas", "lat", "lon", "confidential",
                     "illustrative"])
        number = 0
        for code in codes:
            for service in rng.choice(services, size=3, p=[0.4, 0.25, 0.25, 0.1]):
                number += 1
                capacity = round(float(rng.uniform(5, 40) if service == "refuge" else rng.uniform(0.5, 8)), 1)
                w.writerow([f"N{number:05d}", f"Provider {number}", service, capacity, code,
                            f"{rng.uniform(50.5, 54.5):.5f}", f"{rng.uniform(-3.5, 1.5):.5f}",
                            str(service == "refuge").lower(), "true"])
        for _ in range(30):
            number += 1
            areas = rng.choice(codes, size=int(rng.integers(2, 6)), replace=False)
            w.writerow([f"N{number:05d}", f"Shared {number}", rng.choice(["idva", "isva"]),
                        round(float(rng.uniform(2, 12)), 1), ";".join(areas), "", "", "false", "true"])
        for service in ("idva", "isva", "ld_advocate"):
            number += 1
            w.writerow([f"N{number:05d}", f"National {service}", service, 40.0, "all", "", "", "false", "true"])
    shutil.copy(DEFAULT_DATA_DIR / "benchmarks.yaml", folder / "benchmarks.yaml")
    return authorities


def ours(folder: Path, authorities: dict[str, str]):
    boundaries = load_boundaries(folder / "boundaries.geojson")
    ds = load_dataset(folder, authorities=authorities)
    gaps = assess(ds)
    lots = make_lots(ds, K, "all", boundaries, gaps)
    return gaps, lots


def peer_gaps(folder: Path, codes: list[str]) -> list[tuple]:
    """Row-by-row load + gap table: csv module, dicts and loops (no validation)."""
    bench = yaml.safe_load((folder / "benchmarks.yaml").read_text(encoding="utf-8"))
    population = {}
    with open(folder / "population.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            population[row["code"]] = row
    demand = {}
    with open(folder / "demand.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            demand[(row["code"], row["measure"])] = float(row["value"]) if row["value"] else float("nan")
    services = []
    with open(folder / "services.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            areas = codes if row["areas"].lower() == "all" else row["areas"].split(";")
            services.append((row["service"], float(row["capacity"]), areas))
    green, amber = bench["status"]["green_at"], bench["status"]["amber_at"]
    rows = []
    for service, spec in bench["services"].items():
        model = spec["models"][spec["use"]]
        base, need = {}, {}
        for code in codes:
            if spec["use"] == "rate":
                base[code] = float(population[code][model["base"]])
                need[code] = base[code] * model["per"] / model["per_population"]
            else:
                base[code] = demand.get((code, model["measure"]), float("nan"))
                need[code] = base[code] * model["referral_share"] / model["cases_per_fte"]
        provision = dict.fromkeys(codes, 0.0)
        for kind, capacity, areas in services:
            if kind != service:
                continue
            weights = [0.0 if base[a] != base[a] else base[a] for a in areas]
            total = sum(weights)
            for a, wt in zip(areas, weights):
                provision[a] += capacity * (wt / total if total > 0 else 1 / len(areas))
        for code in codes:
            cov = 100 * provision[code] / need[code] if need[code] > 0 else float("nan")
            status = "n/a" if cov != cov else ("green" if cov >= green else "amber" if cov >= amber else "red")
            rows.append((code, service, provision[code], need[code], need[code] - provision[code], cov, status))
    return rows


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        authorities = make_data(folder)
        size = {p.name: p.stat().st_size for p in folder.iterdir()}
        rows = {name: sum(1 for _ in open(folder / name, encoding="utf-8")) - 1
                for name in ("population.csv", "demand.csv", "services.csv")}
        print(f"input: {len(authorities)} authorities; rows {rows}; "
              f"{sum(size.values()) / 1e6:.2f} MB on disk (boundaries {size['boundaries.geojson'] / 1e6:.2f} MB)")

        ours(folder, authorities)  # warm-up (imports, caches)
        ours_times, ours_out = [], None
        for _ in range(RUNS):
            t, ours_out = timed(ours, folder, authorities)
            ours_times.append(t)
        gaps, lots = ours_out
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        # peer: row-by-row front end, then the same lots step on the same inputs
        boundaries = load_boundaries(folder / "boundaries.geojson")
        ds = load_dataset(folder, authorities=authorities)
        front_times, lot_times = [], []
        for _ in range(RUNS):
            t, peer_rows = timed(peer_gaps, folder, sorted(authorities))
            front_times.append(t)
            lot_times.append(timed(make_lots, ds, K, "all", boundaries, gaps)[0])
        front_ours = statistics.median(timed(lambda: assess(load_dataset(folder, authorities=authorities)))[0]
                                       for _ in range(RUNS))
        boundary_s = statistics.median(timed(load_boundaries, folder / "boundaries.geojson")[0] for _ in range(RUNS))

        ordered = gaps.sort_values(["service", "code"], key=lambda s: s.map(
            {v: i for i, v in enumerate(ds.service_types)}) if s.name == "service" else s)
        mine = list(ordered[["code", "service", "provision", "need", "shortfall", "coverage_pct",
                             "status"]].itertuples(index=False, name=None))
        theirs = sorted(peer_rows, key=lambda r: (ds.service_types.index(r[1]), r[0]))
        assert len(mine) == len(theirs) == len(authorities) * len(ds.service_types)
        for a, b in zip(mine, theirs):
            assert a[0] == b[0] and a[1] == b[1] and a[6] == b[6], (a, b)
            assert np.allclose(a[2:6], b[2:6], rtol=1e-12, atol=1e-12, equal_nan=True), (a, b)
        print(f"check: peer gap table equals ours on all {len(mine)} rows (rtol 1e-12)")
        codes = sorted(authorities)
        adj = adjacency(boundaries.loc[codes])
        for label in lots.labels:
            idx = [codes.index(c) for c in lots.members(label)]
            assert connected_components(adj[idx][:, idx], directed=False)[0] == 1, label
        print(f"check: each of the {K} lots is one connected piece of the Voronoi contiguity graph")

        tracemalloc.start()
        ours(folder, authorities)
        traced_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()

    ours_s = statistics.median(ours_times)
    front_s, lots_s = statistics.median(front_times), statistics.median(lot_times)
    peer_s = boundary_s + front_s + lots_s
    ratio = peer_s / ours_s
    print(f"ours: load boundaries + load_dataset + assess + lots(k={K}): median {ours_s:.3f} s "
          f"(min {min(ours_times):.3f}, max {max(ours_times):.3f}) over {RUNS} runs; target < 3 s")
    print(f"peer: load boundaries {boundary_s:.3f} s + row-by-row load and gaps {front_s:.3f} s "
          f"+ same lots {lots_s:.3f} s = {peer_s:.3f} s")
    print(f"front end like for like: our load_dataset + assess {front_ours:.3f} s (validated, errors name "
          f"file/line/column) vs peer row-by-row {front_s:.3f} s (no validation)")
    print(f"lots: balance (max lot need / mean) {lots.balance:.3f}; lot sizes "
          f"{sorted(lots.assignment['lot'].value_counts().tolist())}")
    print(f"ratio peer/ours {ratio:.2f}; peak RSS after our runs {peak_mb:.0f} MB "
          f"(tracemalloc peak of one run of ours {traced_mb:.1f} MB)")
    print(f"RESULT bench=national ours_s={ours_s:.3f} peer_s={peer_s:.3f} ratio={ratio:.2f} peak_mb={peak_mb:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
