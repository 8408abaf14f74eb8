"""Benchmark: the scoring engine and rank sensitivity against plain-Python reference loops.

Synthetic, seeded round: 5,000 bids in 5 lots, 8 scorers, 12 criteria (10 quality, 2 social
value), 2 gates, minimum scores on 2 criteria, chair's moderation on ~3% of (bid, criterion).

1. Engine (moderation, gates, thresholds, price, totals, ranking): ``score_bids`` vs a row-by-row
   reference of the same formulas; totals and ranks must agree. Goal < 1 s.
2. Rank sensitivity with 10,000 Dirichlet weight draws: ``rank_sensitivity`` vs a looped
   reference. The reference runs on the first REF_DRAWS draws (same seed, same draws as ours run on
   that many draws; keep counts must agree exactly) and its time is scaled to 10,000 draws.
   Goal < 2 s.

Run: ``.venv/bin/python benchmarks/bench_scoring.py`` (about a minute).
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from commissioning.procurement.rules import parse_rules  # noqa: E402
from commissioning.procurement.scoring import score_bids  # noqa: E402
from commissioning.procurement.sensitivity import leaf_weights, rank_sensitivity  # noqa: E402

N_BIDS, N_SCORERS, N_LOTS, N_DRAWS, REF_DRAWS, SEED = 5_000, 8, 5, 10_000, 100, 20270601
CONCENTRATION = 100.0

RULES = parse_rules({
    "title": "Benchmark round", "version": 1,
    "weights": {"quality": 60, "social_value": 10, "price": 30},
    "scale": {"min": 0, "max": 5, "descriptors": {i: f"level {i}" for i in range(6)}},
    "criteria": [{"id": f"Q{i}", "title": f"Quality {i}", "section": "quality",
                  "weight": w, "guidance": "g", **({"min_score": 1} if i in (1, 3) else {})}
                 for i, w in zip(range(1, 11), (15, 15, 10, 10, 10, 10, 10, 8, 6, 6))]
                + [{"id": f"SV{i}", "title": f"Social value {i}", "section": "social_value",
                    "weight": 50, "guidance": "g"} for i in (1, 2)],
    "gates": [{"id": "safeguarding", "title": "s"}, {"id": "insurance", "title": "i"}],
    "price": {"method": "lowest_relative", "abnormally_low": 0.7},
    "moderation": {"consensus": "median", "spread_flag": 2},
}, source="benchmark")


def synthetic_round(seed: int = SEED):
    rng = np.random.default_rng(seed)
    crit = list(RULES.criterion_ids)
    k = len(crit)
    lots = np.array([f"Lot {i + 1}" for i in range(N_LOTS)])[rng.integers(0, N_LOTS, N_BIDS)]
    bids = pd.DataFrame({
        "bid_id": [f"B{i:05d}" for i in range(N_BIDS)],
        "organisation": [f"Organisation {i}" for i in range(N_BIDS)],
        "lot": lots,
        "price": np.round(rng.lognormal(np.log(250_000), 0.25, N_BIDS), 2),
        "submitted_at": (pd.Timestamp("2027-06-01T09:00") + pd.to_timedelta(rng.integers(0, 30 * 86400, N_BIDS), "s")
                         ).strftime("%Y-%m-%dT%H:%M:%S"),
        "gate_safeguarding": np.where(rng.random(N_BIDS) < 0.02, "fail", "pass"),
        "gate_insurance": np.where(rng.random(N_BIDS) < 0.01, "fail", "pass"),
    })
    latent = np.clip(rng.normal(3.2, 0.9, (N_BIDS, 1)) + rng.normal(0, 0.5, (N_BIDS, k)), 0, 5)
    bi = np.repeat(np.arange(N_BIDS), N_SCORERS * k)
    si = np.tile(np.repeat(np.arange(N_SCORERS), k), N_BIDS)
    ci = np.tile(np.arange(k), N_BIDS * N_SCORERS)
    marks = np.clip(np.rint(latent[bi, ci] + rng.normal(0, 0.6, bi.size)), 0, 5)
    scores = pd.DataFrame({"bid_id": bids["bid_id"].to_numpy()[bi],
                           "scorer": np.array([f"panel-{j}" for j in range(N_SCORERS)])[si],
                           "criterion": np.array(crit)[ci], "score": marks, "comment": "evidence noted"})
    pick = rng.choice(N_BIDS * k, size=int(0.03 * N_BIDS * k), replace=False)
    moderation = pd.DataFrame({"bid_id": bids["bid_id"].to_numpy()[pick // k],
                               "criterion": np.array(crit)[pick % k],
                               "score": np.clip(np.rint(latent[pick // k, pick % k]), 0, 5),
                               "note": "agreed at moderation"})
    return bids, scores, moderation


# ------------------------------------------------------------------------------------------------
# Reference implementations: the same formulas, one row at a time in plain Python.
# ------------------------------------------------------------------------------------------------

def reference_engine(rules, bids: list[dict], scores: list[tuple], moderation: list[tuple]) -> dict:
    """{bid_id: (total or None, rank or None)} computed row by row."""
    panel: dict[tuple, list] = {}
    for bid, _scorer, criterion, score in scores:
        panel.setdefault((bid, criterion), []).append(score)
    chair = {(bid, criterion): score for bid, criterion, score in moderation}
    results = {}
    for bid in bids:
        quality = social = 0.0
        out = any(bid[f"gate_{g.id}"] == "fail" for g in rules.gates)
        for c in rules.criteria:
            key = (bid["bid_id"], c.id)
            if key in chair:
                value = chair[key]
            elif rules.consensus == "median":
                value = statistics.median(panel[key])
            else:
                value = statistics.fmean(panel[key])
            if c.min_score is not None and value < c.min_score:
                out = True
            points = rules.weights[c.section] * c.weight / 100 * value / c.max_score
            if c.section == "quality":
                quality += points
            else:
                social += points
        results[bid["bid_id"]] = {"bid": bid, "quality": quality, "social": social, "out": out}
    by_lot: dict[str, list] = {}
    for r in results.values():
        if not r["out"]:
            by_lot.setdefault(r["bid"]["lot"], []).append(r)
    answer = {b: (None, None) for b in results}
    for members in by_lot.values():
        lowest = min(r["bid"]["price"] for r in members)
        for r in members:
            price = r["bid"]["price"]
            if rules.price_method == "lowest_relative":
                factor = lowest / price
            else:
                factor = max(0.0, 1 - (price - lowest) / lowest)
            r["total"] = r["quality"] + r["social"] + rules.weights["price"] * factor
        members.sort(key=lambda r: (-round(r["total"], 9), -round(r["quality"], 9), -round(r["social"], 9),
                                    r["bid"]["submitted_at"], r["bid"]["bid_id"]))
        for rank, r in enumerate(members, start=1):
            answer[r["bid"]["bid_id"]] = (r["total"], rank)
    return answer


def reference_sensitivity(x: np.ndarray, lots: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Keep counts per ranked bid (published order), re-ranking each lot in each draw with loops."""
    rows, lot_list, weights = x.tolist(), lots.tolist(), draws.tolist()
    keep = [0] * len(rows)
    members: dict[str, list[int]] = {}
    for i, lot in enumerate(lot_list):
        members.setdefault(lot, []).append(i)
    for w in weights:
        for idx in members.values():
            totals = {i: sum(wk * xk for wk, xk in zip(w, rows[i])) for i in idx}
            order = sorted(idx, key=lambda i: (-totals[i], i))
            for position, i in enumerate(order):
                if idx[position] == i:
                    keep[i] += 1
    return np.array(keep)


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    bids, scores, moderation = synthetic_round()
    print(f"input: {len(bids):,} bids in {N_LOTS} lots x {N_SCORERS} scorers x {len(RULES.criteria)} criteria "
          f"= {len(scores):,} score rows, {len(moderation):,} moderation rows")

    # 1. engine
    ours_s, result = best_of(lambda: score_bids(RULES, bids, scores, moderation))
    ours_peak = peak_mb(lambda: score_bids(RULES, bids, scores, moderation))

    def reference_from_frames():
        bid_rows = bids.assign(submitted_at=pd.to_datetime(bids["submitted_at"], utc=True)).to_dict("records")
        score_rows = list(zip(scores["bid_id"], scores["scorer"], scores["criterion"], scores["score"]))
        mod_rows = list(zip(moderation["bid_id"], moderation["criterion"], moderation["score"]))
        return reference_engine(RULES, bid_rows, score_rows, mod_rows)

    peer_s, ref = best_of(reference_from_frames)
    bid_rows = bids.assign(submitted_at=pd.to_datetime(bids["submitted_at"], utc=True)).to_dict("records")
    score_rows = list(zip(scores["bid_id"], scores["scorer"], scores["criterion"], scores["score"]))
    mod_rows = list(zip(moderation["bid_id"], moderation["criterion"], moderation["score"]))
    loops_s, _ = best_of(lambda: reference_engine(RULES, bid_rows, score_rows, mod_rows))
    table = result.table.set_index("bid_id")
    ref_total = np.array([np.nan if ref[b][0] is None else ref[b][0] for b in table.index])
    ref_rank = np.array([-1 if ref[b][1] is None else ref[b][1] for b in table.index])
    assert np.allclose(table["total"].to_numpy(dtype=float), ref_total, equal_nan=True)
    assert (table["rank"].fillna(-1).to_numpy(dtype=int) == ref_rank).all()
    counts = table["status"].value_counts().to_dict()
    print(f"engine: ours {ours_s:.3f} s (best of 3), reference {peer_s:.3f} s (best of 3, from the "
          f"same DataFrames, of which {loops_s:.3f} s in the loops once given Python lists; it does no "
          f"input validation), ratio {peer_s / ours_s:.1f}x, peak {ours_peak:.1f} MB (tracemalloc); "
          f"totals and ranks identical; statuses {counts}; goal < 1 s: {'met' if ours_s < 1 else 'MISSED'}")
    print(f"RESULT bench=scoring ours_s={ours_s:.4f} peer_s={peer_s:.4f} ratio={peer_s / ours_s:.2f} "
          f"peak_mb={ours_peak:.1f}", flush=True)

    # 2. sensitivity
    n_ranked = int(table["rank"].notna().sum())
    sens_s, sens = best_of(lambda: rank_sensitivity(result, N_DRAWS, concentration=CONCENTRATION, seed=SEED))
    sens_peak = peak_mb(lambda: rank_sensitivity(result, N_DRAWS, concentration=CONCENTRATION, seed=SEED))
    small = rank_sensitivity(result, REF_DRAWS, concentration=CONCENTRATION, seed=SEED)
    w0, x = leaf_weights(result)
    draws = 100.0 * np.random.default_rng(SEED).dirichlet(CONCENTRATION * w0 / 100.0, size=REF_DRAWS)
    ranked = result.table[result.table["rank"].notna()]
    t0 = time.perf_counter()
    ref_keep = reference_sensitivity(x, ranked["lot"].to_numpy(), draws)
    ref_s = time.perf_counter() - t0
    assert np.array_equal(np.rint(small["keep_share"].to_numpy() * REF_DRAWS).astype(int), ref_keep)
    assert np.allclose(x @ w0, ranked["total"].to_numpy())
    peer_scaled = ref_s * N_DRAWS / REF_DRAWS
    print(f"sensitivity: {n_ranked:,} ranked bids x {N_DRAWS:,} draws: ours {sens_s:.3f} s (best of 3), "
          f"peak {sens_peak:.1f} MB; reference loops ran {REF_DRAWS} draws in {ref_s:.2f} s "
          f"(keep counts identical to ours on the same {REF_DRAWS} draws), scaled x{N_DRAWS // REF_DRAWS} "
          f"to {peer_scaled:.1f} s (an estimate, not a full run); median keep share "
          f"{sens['keep_share'].median():.3f}; goal < 2 s: {'met' if sens_s < 2 else 'MISSED'}")
    print(f"RESULT bench=sensitivity ours_s={sens_s:.4f} peer_s={peer_scaled:.4f} "
          f"ratio={peer_scaled / sens_s:.2f} peak_mb={sens_peak:.1f}")


if __name__ == "__main__":
    main()
