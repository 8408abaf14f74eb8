"""A round on the example bids, run through the store to the lock (shared by the contracts tests),
and a year of a winner's quarterly returns whose KPI ratings are worked out by hand in the tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from commissioning.procurement.bid_files import (
    read_bid_file,
    read_moderation,
    read_scores,
)
from commissioning.procurement.rules import load_rules
from commissioning.store import open_store

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "data" / "example_bids"
RULES_PATH = REPO / "scoring_rules" / "default.yaml"
PUBLISHED = dt.datetime(2027, 1, 10, 9, tzinfo=dt.UTC)
BIDDING = dt.datetime(2027, 6, 4, 12, tzinfo=dt.UTC)   # bids come in before the deadline
AFTER = dt.datetime(2027, 6, 5, 9, tzinfo=dt.UTC)
SIGNED = dt.date(2027, 9, 20)
SIGNING = dt.datetime(2027, 9, 20, 12, tzinfo=dt.UTC)
NORTH_EAST = "Thamesreach Women's Advocacy (fictional)"   # NE-01 wins the North East lot

# Its returns for 2028 (idva; Hackney E09000012, Tower Hamlets E09000030, Newham E09000025 are the
# contract's boroughs, 3 + 2 + 2 = 7 FTE contracted). Camden is not the contract's: never counted.
RETURNS_HEADER = ("provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,"
                  "waiting_days_median,clients_surveyed,clients_satisfied")
_Q1 = [("E09000012", 3, 60, 3, 4, 20, 18), ("E09000030", 2, 40, 2, 6, 10, 9), ("E09000025", 1.5, 20, 5, 5, 10, 7),
       ("E09000007", 5, 100, 90, 30, 10, 1)]
_Q2 = [("E09000012", 3, 50, 15, 5, 20, 15), ("E09000030", 2, 30, 9, 5, 10, 8), ("E09000025", 2, 20, 6, 5, 10, 7)]


def returns_csv() -> str:
    lines = [RETURNS_HEADER]
    for quarter, rows in (("2028Q1", _Q1), ("2028Q2", _Q2), ("2028Q3", _Q1), ("2028Q4", _Q1)):
        for code, cap, ref, refused, wait, surveyed, satisfied in rows:
            lines.append(f'"{NORTH_EAST}",idva,{quarter},{code},{cap},{ref},{refused},0,{wait},{surveyed},{satisfied}')
    lines.append('"Another Trust (fictional)",idva,2028Q1,E09000012,4,50,40,0,20,10,1')
    return "\n".join(lines) + "\n"


def locked_round(db, bids: Path = EXAMPLE / "bids.csv") -> tuple[object, int]:
    """A store at ``db`` with the example round (``bids``: the example bids or a changed copy)
    locked by commissioner ``boss``; returns (store, round id)."""
    store = open_store(db)
    store.create_user("boss", "lantern orbit meadow 42", role="commissioner")
    store.add_member("boss", "chair-kim", role="chair")
    rid = store.publish_round("boss", "Victim support 2027", load_rules(RULES_PATH), now=PUBLISHED)
    store.import_bids("boss", rid, read_bid_file(bids), now=BIDDING)
    store.import_scores("boss", rid, read_scores(EXAMPLE / "scores.csv"),
                        read_moderation(EXAMPLE / "moderation.csv"), now=AFTER)
    # NE-03's abnormally low price is decided only after an answered clarification (a bid imported
    # from a file: its answer is recorded as received)
    asked = store.ask_clarification("boss", store.bid_key(rid, "NE-03"), "How does the price cover five posts?",
                                    now=AFTER)
    store.record_answer("boss", asked, "A volunteer-supported model, appendix D", now=AFTER)
    for bid in ("NE-03", "W-02"):
        store.resolve_flags("boss", rid, bid, "decided", now=AFTER)
    store.lock_round("boss", rid)
    return store, rid
