"""The embedded ILLUSTRATIVE example returns (data/returns/, made by tools/make_returns_data.py),
loaded as part of the demonstration data (``store.demo``) only when asked for."""

from __future__ import annotations

import pandas as pd

from commissioning.paths import DEFAULT_DATA_DIR
from commissioning.returns.reader import read_returns

EXAMPLE_DIR = DEFAULT_DATA_DIR / "returns"
EXAMPLE_FILE = EXAMPLE_DIR / "returns_illustrative.csv"
REVIEW_FILE = EXAMPLE_DIR / "review_state.csv"


def load_example(store, commissioner: str, service_types: list[str]) -> int:
    """Submit every example return as ``commissioner`` (basis illustrative); earlier quarters are
    approved, the latest as ``review_state.csv`` says. Returns the number of returns loaded."""
    if not EXAMPLE_FILE.exists():
        return 0
    frame = read_returns(EXAMPLE_FILE, service_types)
    states = pd.read_csv(REVIEW_FILE, dtype=str, keep_default_na=False) if REVIEW_FILE.exists() else \
        pd.DataFrame(columns=["provider", "quarter", "state", "note"])
    states = {(r.provider, r.quarter): (r.state, r.note) for r in states.itertuples()}
    loaded = 0
    for (provider, quarter), rows in frame.groupby(["provider", "quarter"], sort=True):
        state, note = states.get((provider, quarter), ("approved", ""))
        store.submit_return(commissioner, provider, quarter, rows, basis="illustrative",
                            approve=state == "approved", notes="illustrative example")
        if state == "queried":
            store.query_return(commissioner, quarter, provider, note or "Please check these figures.")
        loaded += 1
    return loaded
