"""`score` on rules and bids no other test has seen gives exactly the totals of the published formulas.

The expectation is recomputed here with plain Python from the formulas in the issue (not with
commissioning.procurement.scoring), on seeded random rules, bids and panel scores.
"""

from __future__ import annotations

import csv
import io
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def make_round(folder: Path, seed: int) -> dict:
    rng = random.Random(seed)
    price_w = rng.choice([20, 25, 30])
    social_w = rng.choice([10, 15])
    quality_w = 100 - price_w - social_w
    n_quality = rng.randint(2, 5)
    cuts = sorted(rng.sample(range(1, 100), n_quality - 1))
    q_weights = [b - a for a, b in zip([0] + cuts, cuts + [100])]
    criteria = [{"id": f"Q{i + 1}", "title": f"Quality {i + 1}", "section": "quality", "weight": w,
                 "guidance": "g", **({"min_score": 2} if i == 0 else {})}
                for i, w in enumerate(q_weights)]
    criteria += [{"id": "SV1", "title": "Social value", "section": "social_value", "weight": 60, "guidance": "g"},
                 {"id": "SV2", "title": "Local jobs", "section": "social_value", "weight": 40, "guidance": "g",
                  "max_score": 4}]
    rules = {
        "title": f"Unseen round {seed}", "version": 1,
        "weights": {"quality": quality_w, "social_value": social_w, "price": price_w},
        "scale": {"min": 0, "max": 5, "descriptors": {i: f"level {i}" for i in range(6)}},
        "criteria": criteria,
        "gates": [{"id": "insured", "title": "Insurance in place"}],
        "price": {"method": rng.choice(["lowest_relative", "proportional_deviation"]), "abnormally_low": 0.7},
        "moderation": {"consensus": rng.choice(["median", "mean"]), "spread_flag": 3},
    }
    (folder / "rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    bids, scores = [], []
    for n in range(14):
        bid = {"bid_id": f"B{n:02d}", "organisation": f"Org {n}", "lot": rng.choice(["North", "South"]),
               "price": rng.randint(60, 200) * 1000, "submitted_at": f"2027-05-{1 + n:02d}T09:00:00",
               "gate_insured": "fail" if rng.random() < 0.1 else "pass"}
        bids.append(bid)
        for c in criteria:
            top = c.get("max_score", 5)
            base = rng.randint(1, top)
            for scorer in ("p1", "p2", "p3"):
                value = min(top, max(0, base + rng.choice([-1, 0, 0, 1])))
                scores.append({"bid_id": bid["bid_id"], "scorer": scorer, "criterion": c["id"],
                               "score": value, "comment": "ok"})
    for name, rows in (("bids.csv", bids), ("scores.csv", scores)):
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return {"rules": rules, "bids": bids, "scores": scores}


def expected(round_: dict) -> dict[str, tuple]:
    rules, bids = round_["rules"], round_["bids"]
    consensus = statistics.median if rules["moderation"]["consensus"] == "median" else statistics.mean
    panel: dict[tuple, list] = {}
    for s in round_["scores"]:
        panel.setdefault((s["bid_id"], s["criterion"]), []).append(float(s["score"]))
    out = {}
    for bid in bids:
        section = {"quality": 0.0, "social_value": 0.0}
        failed = bid["gate_insured"] == "fail"
        for c in rules["criteria"]:
            moderated = consensus(panel[(bid["bid_id"], c["id"])])
            if "min_score" in c and moderated < c["min_score"]:
                failed = True
            top = c.get("max_score", rules["scale"]["max"])
            section[c["section"]] += rules["weights"][c["section"]] * c["weight"] / 100 * moderated / top
        out[bid["bid_id"]] = [bid["lot"], section["quality"], section["social_value"], failed,
                              bid["price"], bid["submitted_at"]]
    price_w = rules["weights"]["price"]
    for lot in {b["lot"] for b in bids}:
        running = [k for k, v in out.items() if v[0] == lot and not v[3]]
        if not running:
            continue
        lowest = min(out[k][4] for k in running)
        for k in running:
            p = out[k][4]
            if rules["price"]["method"] == "lowest_relative":
                score = price_w * lowest / p
            else:
                score = price_w * max(0.0, 1 - (p - lowest) / lowest)
            out[k].append(score)
            out[k].append(out[k][1] + out[k][2] + score)
        order = sorted(running, key=lambda k: (-out[k][7], -out[k][1], -out[k][2], out[k][5]))
        for rank, k in enumerate(order, start=1):
            out[k].append(rank)
    return out


@pytest.mark.parametrize("seed", [3, 11, 27])
def test_score_matches_the_formulas_on_an_unseen_round(tmp_path, seed):
    round_ = make_round(tmp_path, seed)
    proc = subprocess.run([sys.executable, "-m", "commissioning", "score", "--rules", tmp_path / "rules.yaml",
                           "--bids", tmp_path / "bids.csv", "--scores", tmp_path / "scores.csv"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert list(rows[0]) == ["bid_id", "lot", "quality", "social_value", "price", "total", "rank", "status", "reasons"]
    want = expected(round_)
    assert {r["bid_id"] for r in rows} == set(want)
    for r in rows:
        lot, quality, social, failed, *rest = want[r["bid_id"]]
        assert r["lot"] == lot
        assert float(r["quality"]) == pytest.approx(quality, rel=1e-9)
        assert float(r["social_value"]) == pytest.approx(social, rel=1e-9)
        if failed:
            assert r["status"] == "failed" and r["rank"] == "" and r["total"] == ""
        else:
            _, _, price, total, rank = rest
            assert r["status"] in {"ranked", "flagged"}
            assert float(r["price"]) == pytest.approx(price, rel=1e-9)
            assert float(r["total"]) == pytest.approx(total, rel=1e-9)
            assert int(r["rank"]) == rank
