"""Benchmark: E2SFCA at England scale, ours (commissioning.spatial.accessibility) vs the `access` package.

Input (synthetic, seeded): ~35,000 LSOA-like demand points (population ~1,500 each) clustered
around English city centres in British National Grid metres, plus a dispersed rural share;
2,000 supply sites drawn with density proportional to population. 10 km catchment, Gaussian decay
(sigma = 5 km, i.e. access.weights.gaussian(5000)).

Timings:
- ours: the whole `e2sfca(...)` call from coordinate arrays (validation, k-d tree, weights,
  both steps); median of several runs.
- peer: `access.Access(...)` + `enhanced_two_stage_fca(...)`, one run. The peer needs a
  long cost table (origin, dest, cost) as input; building it (k-d tree pairs within 10 km
  -> DataFrame) is timed and reported separately and is NOT included in peer_s.
- peak memory: process peak RSS (ru_maxrss) right after our runs, before the peer is imported
  or run -- it includes the interpreter, numpy/scipy/pandas and the input data.

Ends with: RESULT bench=e2sfca ours_s=<s> peer_s=<s> ratio=<peer/ours> peak_mb=<MB>
Run: .venv/bin/python benchmarks/bench_e2sfca.py
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from commissioning.spatial.accessibility import e2sfca  # noqa: E402

N_DEMAND = 35_000
N_SUPPLY = 2_000
RADIUS_M = 10_000.0
SIGMA_M = RADIUS_M / 2
REPEATS = 5
SEED = 20240501

# (name, easting, northing, relative population, spread in metres) -- approximate BNG centres
CITIES = [
    ("London", 530_000, 180_000, 9.0, 14_000),
    ("Birmingham", 407_000, 287_000, 2.6, 9_000),
    ("Manchester", 384_000, 398_000, 2.8, 10_000),
    ("Leeds-Bradford", 425_000, 433_000, 1.9, 9_000),
    ("Liverpool", 335_000, 390_000, 1.4, 7_000),
    ("Sheffield", 435_000, 387_000, 1.0, 6_000),
    ("Newcastle", 425_000, 564_000, 1.1, 7_000),
    ("Bristol", 359_000, 173_000, 0.9, 6_000),
    ("Nottingham", 457_000, 340_000, 0.8, 6_000),
    ("Leicester", 459_000, 304_000, 0.6, 5_000),
    ("Southampton-Portsmouth", 450_000, 108_000, 0.9, 9_000),
    ("Brighton", 531_000, 105_000, 0.5, 5_000),
    ("Stoke", 388_000, 347_000, 0.4, 5_000),
    ("Coventry", 433_000, 279_000, 0.4, 4_000),
    ("Hull", 509_000, 429_000, 0.3, 4_000),
    ("Plymouth", 248_000, 55_000, 0.3, 4_000),
    ("Reading", 471_000, 173_000, 0.4, 5_000),
    ("Norwich", 623_000, 308_000, 0.3, 4_000),
    ("Cambridge", 545_000, 258_000, 0.25, 4_000),
    ("Oxford", 451_000, 206_000, 0.2, 3_500),
    ("Exeter", 292_000, 92_000, 0.15, 3_500),
    ("York", 460_000, 451_000, 0.2, 3_500),
    ("Ipswich", 616_000, 244_000, 0.15, 3_500),
    ("Carlisle", 340_000, 556_000, 0.1, 3_000),
    ("Middlesbrough", 450_000, 520_000, 0.35, 5_000),
    ("Milton Keynes", 485_000, 238_000, 0.3, 5_000),
]
RURAL_SHARE = 0.18  # of demand points, scattered widely around the cities
X_RANGE, Y_RANGE = (130_000, 660_000), (10_000, 660_000)


def synthetic_england(seed: int = SEED):
    """Demand (xy, population) and supply (xy, capacity) arrays in BNG metres."""
    rng = np.random.default_rng(seed)
    centres = np.array([[c[1], c[2]] for c in CITIES], dtype=float)
    share = np.array([c[3] for c in CITIES])
    share /= share.sum()
    spread = np.array([c[4] for c in CITIES], dtype=float)

    n_urban = int(N_DEMAND * (1 - RURAL_SHARE))
    city = rng.choice(len(CITIES), size=n_urban, p=share)
    urban = centres[city] + rng.normal(size=(n_urban, 2)) * spread[city, None]
    # rural: around any city (uniform choice), broad 45 km spread -> towns and countryside
    n_rural = N_DEMAND - n_urban
    near = rng.integers(len(CITIES), size=n_rural)
    rural = centres[near] + rng.normal(size=(n_rural, 2)) * 45_000
    demand_xy = np.vstack([urban, rural])
    demand_xy[:, 0] = np.clip(demand_xy[:, 0], *X_RANGE)
    demand_xy[:, 1] = np.clip(demand_xy[:, 1], *Y_RANGE)
    population = rng.normal(1_550, 200, size=N_DEMAND).clip(1_000, 3_000).round()

    # supply: density proportional to population -> sample demand points by population, jitter 1 km
    host = rng.choice(N_DEMAND, size=N_SUPPLY, p=population / population.sum())
    supply_xy = demand_xy[host] + rng.normal(size=(N_SUPPLY, 2)) * 1_000
    capacity = rng.choice([0.5, 1.0, 1.0, 2.0, 3.0, 5.0], size=N_SUPPLY)
    return demand_xy, population, supply_xy, capacity


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_ours(demand_xy, population, supply_xy, capacity):
    return e2sfca(supply_xy, capacity, demand_xy, population, RADIUS_M, "gaussian", sigma_m=SIGMA_M)


def cost_table(demand_xy, supply_xy) -> pd.DataFrame:
    """The peer's required input: long table origin (demand id), dest (supply id), cost (metres)
    for every pair within the radius (pairs beyond max_cost would be discarded by access anyway)."""
    from scipy.spatial import cKDTree

    pairs = cKDTree(demand_xy).sparse_distance_matrix(
        cKDTree(supply_xy), RADIUS_M, output_type="ndarray"
    )
    return pd.DataFrame(
        {"origin": pairs["i"].astype(np.int64), "dest": pairs["j"].astype(np.int64),
         "cost": pairs["v"]}
    )


def run_peer(demand_xy, population, supply_xy, capacity, costs):
    from access import Access, weights

    demand_df = pd.DataFrame({"pop": population}, index=pd.RangeIndex(len(demand_xy), name="geoid"))
    supply_df = pd.DataFrame({"fte": capacity}, index=pd.RangeIndex(len(supply_xy), name="geoid"))
    model = Access(
        demand_df=demand_df, demand_value="pop", supply_df=supply_df, supply_value="fte",
        cost_df=costs, cost_origin="origin", cost_dest="dest", cost_name="cost",
    )
    out = model.enhanced_two_stage_fca(
        name="e2sfca", max_cost=RADIUS_M, weight_fn=weights.gaussian(SIGMA_M)
    )
    # access leaves demand points with no supply in reach as NaN; ours reports 0
    return out["e2sfca_fte"].reindex(demand_df.index).fillna(0.0).to_numpy()


def main() -> int:
    t0 = time.perf_counter()
    demand_xy, population, supply_xy, capacity = synthetic_england()
    rss_before = rss_mb()
    print(
        f"input: {len(demand_xy):,} demand points (population {population.sum():,.0f}), "
        f"{len(supply_xy):,} supply sites (capacity {capacity.sum():,.1f}), "
        f"radius {RADIUS_M / 1000:g} km, gaussian sigma {SIGMA_M / 1000:g} km"
    )

    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        ours = run_ours(demand_xy, population, supply_xy, capacity)
        times.append(time.perf_counter() - t)
    ours_s = statistics.median(times)
    peak_mb = rss_mb()
    print(
        f"ours: median {ours_s:.3f} s of {REPEATS} runs (min {min(times):.3f}, "
        f"max {max(times):.3f}); process peak RSS {peak_mb:.0f} MB "
        f"({rss_before:.0f} MB before our call)"
    )

    t = time.perf_counter()
    costs = cost_table(demand_xy, supply_xy)
    build_s = time.perf_counter() - t
    print(
        f"peer input: cost table of {len(costs):,} pairs within the radius "
        f"built in {build_s:.3f} s (not in peer_s)"
    )

    try:
        import access  # noqa: F401
    except ImportError:
        print("access package not installed: peer not run")
        print(f"RESULT bench=e2sfca ours_s={ours_s:.4f} peer_s=- ratio=- peak_mb={peak_mb:.0f}")
        return 0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        peer = run_peer(demand_xy, population, supply_xy, capacity, costs)
        peer_s = time.perf_counter() - t
    print(f"peer (access {access.__version__}): {peer_s:.3f} s for Access(...) + "
          f"enhanced_two_stage_fca(...), one run; {peer_s + build_s:.3f} s with the cost table")

    scale = np.abs(peer).max()
    rel = np.abs(ours - peer) / np.where(peer != 0, np.abs(peer), scale)
    print(
        f"agreement: max relative diff {rel.max():.2e} over {len(ours):,} points; "
        f"zero access at {(ours == 0).sum():,} (ours) / {(peer == 0).sum():,} (peer) points; "
        f"mean access {1e5 * ours.mean():.3f} per 100k"
    )
    ratio = peer_s / ours_s
    print(f"ratio peer/ours: {ratio:.1f}x; whole script {time.perf_counter() - t0:.1f} s")
    print(
        f"RESULT bench=e2sfca ours_s={ours_s:.4f} peer_s={peer_s:.4f} ratio={ratio:.1f} "
        f"peak_mb={peak_mb:.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
