"""Contracts in the store (issue 23), on SQLite and PostgreSQL: made from a locked round's winners
once the standstill has ended, extended and ended with audit rows, their capacity as provision on a
date, their KPIs rated from matched returns (figures worked out by hand)."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from locked_round import NORTH_EAST, SIGNED, SIGNING, locked_round, returns_csv

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.procurement import lifecycle
from commissioning.returns.reader import read_returns


def test_contracts_from_the_winners_after_the_standstill(db_url):
    store, rid = locked_round(db_url)
    locked_on = lifecycle.london_date(lifecycle.now_utc())
    last = lifecycle.standstill(locked_on)[1]
    assert store.standstill_end(rid) == last
    inside = dt.datetime.combine(last, dt.time(12), tzinfo=dt.UTC)
    with pytest.raises(StoreError, match="standstill runs to the end of"):
        store.create_contracts("boss", rid, last, now=inside)
    with pytest.raises(AccessDenied, match="may not"):
        store.create_contracts("chair-kim", rid, SIGNED, now=SIGNING)
    with pytest.raises(InputError, match="after today"):
        store.create_contracts("boss", rid, SIGNED + dt.timedelta(days=1), now=SIGNING)
    ids = store.create_contracts("boss", rid, SIGNED, basis="illustrative", now=SIGNING)
    assert len(ids) == 3
    with pytest.raises(StoreError, match="exist already"):
        store.create_contracts("boss", rid, SIGNED, now=SIGNING)
    table = store.contracts_list("boss").set_index("lot")
    ne = table.loc["North East"]
    # NE-01: 412,000 a year (price basis annual) x 3 years; 3 + 2 + 2 FTE of the lot's first service
    assert (ne["supplier"], ne["annual_value"], ne["term_value"]) == (NORTH_EAST, 412000, 1236000)
    assert (ne["capacity"], ne["capacity_service"], ne["services"]) == (7, "idva", "idva, isva, refuge")
    assert (ne["start"], ne["end"], ne["extension_years_left"]) == ("2027-10-01", "2030-09-30", 2)
    assert store.contract("boss", int(ne["id"]))["capacity"] == {"E09000012": 3, "E09000025": 2, "E09000030": 2}
    with pytest.raises(AccessDenied):
        store.contracts_list("chair-kim")
    log = store.audit_log("boss", rid)
    assert (log["action"] == "contract.create").sum() == 3


def test_extend_and_end_are_audited_and_change_provision(db_url):
    store, rid = locked_round(db_url)
    ids = store.create_contracts("boss", rid, SIGNED, now=SIGNING)
    cid = ids[0]
    assert len(store.contract_capacity_on(dt.date(2027, 9, 30))) == 0          # not started yet
    assert len(store.contract_capacity_on(dt.date(2027, 10, 1))) == 9           # 3 contracts x 3 boroughs
    assert len(store.contract_capacity_on(dt.date(2030, 10, 1))) == 0           # initial term over
    assert store.extend_contract("boss", cid, 1) == dt.date(2031, 9, 30)
    with pytest.raises(StoreError, match="1 extension year left, not 2"):
        store.extend_contract("boss", cid, 2)
    assert set(store.contract_capacity_on(dt.date(2030, 10, 1))["contract_id"]) == {cid}
    with pytest.raises(InputError, match="needs a reason"):
        store.end_contract("boss", cid, dt.date(2029, 3, 31), " ")
    store.end_contract("boss", cid, dt.date(2029, 3, 31), "supplier withdrew")
    assert cid in set(store.contract_capacity_on(dt.date(2029, 3, 31))["contract_id"])
    assert cid not in set(store.contract_capacity_on(dt.date(2029, 4, 1))["contract_id"])
    with pytest.raises(StoreError, match="has ended"):
        store.extend_contract("boss", cid, 1)
    log = store.audit_log("boss", rid)
    extend = log[log["action"] == "contract.extend"].iloc[0]
    assert json.loads(extend["old_value"])["end_date"] == "2030-09-30"
    assert json.loads(extend["new_value"]) == {"end_date": "2031-09-30", "extension_years_used": 1}
    end = json.loads(log[log["action"] == "contract.end"].iloc[0]["new_value"])
    assert end == {"status": "ended", "ended_on": "2029-03-31", "reason": "supplier withdrew"}
    assert store.verify_audit().broken_id is None


def wilson_by_hand(k, n, z=1.959964):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - half), 100 * (centre + half)


def test_kpis_rated_from_the_matched_returns(db_url, tmp_path):
    store, rid = locked_round(db_url)
    cid = store.create_contracts("boss", rid, SIGNED, basis="illustrative", now=SIGNING)[0]
    (tmp_path / "r.csv").write_text(returns_csv())
    store.submit_returns("boss", read_returns(tmp_path / "r.csv", ["idva", "isva", "refuge"]),
                         basis="illustrative", approve=True)
    _, ratings, evidence = store.contract_performance("boss", cid, today=dt.date(2029, 1, 15))
    got = ratings.set_index(["period", "measure"])
    # 2028Q1: refused 3 + 2 + 5 = 10 of 60 + 40 + 20 = 120 (Camden and Another Trust not counted)
    q1 = got.loc[("2028Q1", "referrals_refused_pct")]
    assert (q1["numerator"], q1["denominator"], q1["rating"]) == (10, 120, "met")
    assert (q1["lower"], q1["upper"]) == pytest.approx(wilson_by_hand(10, 120))
    # wait: (4 x 60 + 6 x 40 + 5 x 20) / 120 = 4.83 days; capacity (3 + 2 + 1.5) / 7 = 92.9%: approaching
    assert got.loc[("2028Q1", "waiting_days_median"), "value"] == pytest.approx(580 / 120)
    assert got.loc[("2028Q1", "capacity_delivered_pct"), "value"] == pytest.approx(100 * 6.5 / 7)
    assert got.loc[("2028Q1", "capacity_delivered_pct"), "rating"] == "approaching"
    # 2028Q2: 30 of 100 refused, interval wholly above 10%: not met; 30 of 40 satisfied (75%) but
    # the interval reaches 85%: approaching
    assert got.loc[("2028Q2", "referrals_refused_pct"), "rating"] == "not met"
    assert wilson_by_hand(30, 100)[0] > 10
    assert got.loc[("2028Q2", "clients_satisfied_pct"), "rating"] == "approaching"
    assert wilson_by_hand(30, 40)[1] > 85
    # the year adds the quarters' counts: 60 of 460 refused, 13.0%, lower bound 10.3% > 10: not met
    year = got.loc[("2028", "referrals_refused_pct")]
    assert (year["numerator"], year["denominator"], year["rating"]) == (60, 460, "not met")
    assert year["lower"] == pytest.approx(wilson_by_hand(60, 460)[0])
    assert got.loc[("2028", "waiting_days_median"), "value"] == pytest.approx(2240 / 460)
    assert got.loc[("2028", "capacity_delivered_pct"), "value"] == pytest.approx((3 * 6.5 / 7 + 1) * 25)
    assert set(ratings["basis"]) == {"illustrative"}
    assert "In 2028, 1 of 4 KPIs was met" in evidence.headline
    assert "30 September 2030" in evidence.headline
    assert any("60 of 460" in line for line in evidence.for_reprocuring)
    # past the extension point there is no decision left to inform
    assert store.contract_performance("boss", cid, today=dt.date(2030, 10, 1))[2] is None
    only = store.contract_performance("boss", cid, year=2029, today=dt.date(2029, 1, 15))[1]
    assert only.empty
