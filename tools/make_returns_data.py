"""Rebuild data/returns/ (run once; the outputs are committed): an ILLUSTRATIVE example of providers'
quarterly returns for four quarters (2025Q4 to 2026Q3), so every page and document has something to
show on a fresh machine. Every figure is invented (seeded draws) and the store labels them
``illustrative`` when the app loads them.

- Capacity starts from the illustrative services in data/services.csv (the same fictional providers),
  one row per borough served (shared capacity split evenly; pan-London services as ``London``), and
  drifts a little each quarter.
- Referrals ~ Poisson(25 per FTE or 3 per bedspace per quarter); refused for lack of capacity ~
  Binomial(referrals, 5-30%); cases open ~ 2.5 months of referrals; median days to first contact
  3-20; clients asked ~ 40% of referrals, satisfied ~ Binomial(asked, 80%).
- 2026Q3 shows the review workflow: one provider has not returned, one's capacity jumps, and the
  file data/returns/review_state.csv says which returns are left for review or queried.

    python tools/make_returns_data.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from commissioning.returns.layout import COLUMNS

OUT = ROOT / "data" / "returns"
SEED = 20261313
QUARTERS = ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
PER_QUARTER = {"idva": 25.0, "isva": 20.0, "ld_advocate": 15.0, "refuge": 3.0}
ADVISER_TYPES = ("idva", "isva", "ld_advocate")


def main() -> None:
    rng = np.random.default_rng(SEED)
    services = pd.read_csv(ROOT / "data" / "services.csv", dtype=str)
    base = []
    for s in services.itertuples():
        areas = s.areas.split(";")
        code_list = ["London"] if s.areas.strip().lower() == "london" else areas
        for code in code_list:
            base.append({"provider": s.provider, "service": s.service, "code": code,
                         "capacity": float(s.capacity) / len(code_list)})
    base = pd.DataFrame(base).groupby(["provider", "service", "code"], as_index=False)["capacity"].sum()
    providers = sorted(base["provider"].unique())
    missing_latest, jumping = providers[-1], providers[0]
    rows = []
    for qi, quarter in enumerate(QUARTERS):
        for r in base.itertuples():
            if quarter == QUARTERS[-1] and r.provider == missing_latest:
                continue
            drift = 1 + rng.normal(0, 0.05) * qi
            capacity = max(0.0, r.capacity * drift)
            if quarter == QUARTERS[-1] and r.provider == jumping and r.service in ADVISER_TYPES:
                capacity *= 2.2           # a large jump the review page highlights
            capacity = round(capacity, 1) if r.service in ADVISER_TYPES else float(round(capacity))
            referrals = int(rng.poisson(PER_QUARTER[r.service] * max(capacity, 0.2)))
            refused = int(rng.binomial(referrals, rng.uniform(0.05, 0.3)))
            cases_open = round(referrals * rng.uniform(0.6, 1.0))
            waiting = round(float(rng.uniform(3, 20)), 1)
            asked = int(rng.binomial(referrals, 0.4))
            satisfied = int(rng.binomial(asked, 0.8))
            record = {"provider": r.provider, "service": r.service, "quarter": quarter, "code": r.code,
                      "capacity": capacity, "referrals": referrals, "referrals_refused": refused,
                      "cases_open": cases_open, "waiting_days_median": waiting,
                      "clients_surveyed": asked, "clients_satisfied": satisfied}
            if rng.random() < 0.03:          # not every provider has every figure: blank, never zero
                record["waiting_days_median"] = ""
            rows.append(record)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    OUT.mkdir(parents=True, exist_ok=True)
    frame.to_csv(OUT / "returns_illustrative.csv", index=False)
    latest = sorted(set(frame.loc[frame["quarter"] == QUARTERS[-1], "provider"]))
    review = pd.DataFrame({"provider": latest, "quarter": QUARTERS[-1], "state": "approved"})
    review.loc[review["provider"] == jumping, "state"] = "submitted"
    review["note"] = ""
    queried = review.index[len(review) // 2]
    review.loc[queried, ["state", "note"]] = ["queried", ("Please check referrals refused: they are well above "
                                                "last quarter's (illustrative query).")]
    review.to_csv(OUT / "review_state.csv", index=False)
    print(f"wrote {len(frame)} rows for {len(providers)} providers, {QUARTERS[0]}-{QUARTERS[-1]}, to {OUT}")


if __name__ == "__main__":
    main()
