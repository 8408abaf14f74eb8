"""The rules engine on hand-computed cases, need alignment, sensitivity and the awards export.

The fixture round (tests/fixtures/scoring/) under rules.yaml: weights quality 60, social value 10,
price 30; Q1 and Q2 are half of quality each, so one score point on Q1 or Q2 is worth
60 × 0.5 / 5 = 6 points; SV1 is all of social value, one point = 10 / 5 = 2 points.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commissioning.errors import InputError
from commissioning.procurement.awards import awards_frame, awards_json, build_awards
from commissioning.procurement.bid_files import read_bids, read_decisions, read_moderation, read_scores
from commissioning.procurement.need_alignment import need_alignment_scores, parse_areas, shortfall_map
from commissioning.procurement.rules import parse_rules
from commissioning.procurement.scoring import score_bids
from commissioning.procurement.sensitivity import leaf_weights, rank_sensitivity

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "scoring"


def _rules(**changes):
    import yaml
    data = yaml.safe_load((FIX / "rules.yaml").read_text())
    for key, value in changes.items():
        section, name = key.split("__")
        data[section][name] = value
    return parse_rules(data, source="rules.yaml")


def _inputs():
    return read_bids(FIX / "bids.csv"), read_scores(FIX / "scores.csv"), read_moderation(FIX / "moderation.csv")


@pytest.fixture(scope="module")
def result():
    return score_bids(_rules(), *_inputs())


def _row(result, bid):
    return result.table.set_index("bid_id").loc[bid]


def test_hand_computed_round(result):
    # Lot A, panel medians (moderated score × 6 for Q1/Q2, × 2 for SV1):
    #   A1: Q1 [4,4,3] -> 4 (24), Q2 [3,4,5] -> 4 (24), SV1 3 (6): quality 48, social 6
    #   A2: Q1 3 (18), Q2 [3,2,3] median 3 but the chair moderated 4 (24), SV1 3 (6): 42, 6
    #   A3: fails the safeguarding gate -> out (its 30,000 must not set the lowest price)
    #   A4: Q1 [1,1,2] -> 1, below min_score 2 -> out (its 40,000 must not set the lowest either)
    #   A5: Q1 3 (18), Q2 3 (18), SV1 1 (2): 36, 2
    # In the running: A1 100,000, A2 80,000, A5 50,000. Median 80,000; 70% of it = 56,000, so A5
    # (50,000) is abnormally low: flagged, still ranked and it sets the lowest price, 50,000.
    # (Counting the failed bids the median would be 50,000 and A5 would not be flagged.)
    # Price, lowest_relative: A1 30 × 50/100 = 15; A2 30 × 50/80 = 18.75; A5 30 × 50/50 = 30.
    # Totals: A1 48 + 6 + 15 = 69; A5 36 + 2 + 30 = 68; A2 42 + 6 + 18.75 = 66.75.
    # Lot B, a three-way tie on total:
    #   B1: Q1 4 (24), Q2 4 (24), SV1 2 (4), price 90,000 -> 30 × 60/90 = 20: total 72, quality 48
    #   B2: 3, 3, 3 -> 18 + 18 + 6, price 60,000 -> 30: total 72, quality 36, submitted 10:00
    #   B3: same as B2 but submitted 09:00
    # B1 first on quality; B2 and B3 equal on quality and social value, B3 earlier -> B3 2, B2 3.
    expected = {
        "A1": (48, 6, 15, 69, 1, "flagged"),  # flagged: Q2 spread 3..5 = 2 >= spread_flag, not moderated
        "A5": (36, 2, 30, 68, 2, "flagged"),
        "A2": (42, 6, 18.75, 66.75, 3, "ranked"),
        "B1": (48, 4, 20, 72, 1, "ranked"),
        "B3": (36, 6, 30, 72, 2, "ranked"),
        "B2": (36, 6, 30, 72, 3, "ranked"),
    }
    ranking = result.ranking
    assert list(ranking.columns) == ["bid_id", "lot", "quality", "social_value", "price", "total",
                                     "rank", "status", "reasons"]
    assert list(ranking["bid_id"]) == ["A1", "A5", "A2", "A3", "A4", "B1", "B3", "B2"]
    for bid, (q, sv, p, total, rank, status) in expected.items():
        row = _row(result, bid)
        assert (row.quality, row.social_value, row.price) == pytest.approx((q, sv, p)), bid
        assert row.total == pytest.approx(total) and row["rank"] == rank and row.status == status, bid
    for bid, reason in (("A3", "did not meet the pass/fail requirement safeguarding"),
                        ("A4", "scored 1 after moderation, below the minimum of 2 a bid needs to pass")):
        row = _row(result, bid)
        assert row.status == "failed" and pd.isna(row["rank"]) and pd.isna(row.total)
        assert reason in row.reasons and row.reasons.count(";") == 0
    assert "abnormally low price" in _row(result, "A5").reasons
    assert "Q2 panel scores range from 3 to 5" in _row(result, "A1").reasons
    assert _row(result, "A5").lot_lowest == 50000 and _row(result, "A5").lot_median == 80000


def test_explanation(result):
    # A5 (68) is 69 - 68 = 1 point behind A1 and 68 - 66.75 = 1.25 ahead of A2.
    expl = result.explain("A5")
    assert (expl.above, expl.to_overtake, expl.below, expl.margin_below) == ("A1", pytest.approx(1),
                                                                             "A2", pytest.approx(1.25))
    a2 = result.explain("A2").criteria.set_index("criterion")
    assert a2.loc["Q2", "panel_scores"] == (3, 2, 3)
    assert a2.loc["Q2", "basis"] == "chair" and a2.loc["Q2", "moderated"] == 4
    assert a2.loc["Q2", "points"] == pytest.approx(24) and a2.loc["Q2", "max_points"] == pytest.approx(30)
    # B2 is level with B3 on total and behind on the tie-break: 0 points to overtake.
    assert result.explain("B2").to_overtake == 0
    assert "needs 1.00 more points to overtake A1" in expl.text()


def test_mean_consensus():
    # Mean instead of median changes A1 only: Q1 (4+4+3)/3 = 11/3 -> 6 × 11/3 = 22; Q2 (3+4+5)/3 = 4
    # -> 24; quality 46; total 46 + 6 + 15 = 67 < A5's 68. A4's Q1 mean 4/3 is still below 2.
    res = score_bids(_rules(moderation__consensus="mean"), *_inputs())
    assert _row(res, "A1").quality == pytest.approx(46) and _row(res, "A1").total == pytest.approx(67)
    assert [_row(res, b)["rank"] for b in ("A5", "A1", "A2")] == [1, 2, 3]
    assert _row(res, "A4").status == "failed"


def test_proportional_deviation():
    # price = 30 × max(0, 1 - (price - 50,000) / 50,000):
    # A1: 1 - 50/50 = 0 -> 0, total 54; A2: 1 - 30/50 = 0.4 -> 12, total 60; A5: 30, total 68.
    # Lot B: B1 1 - 30/60 = 0.5 -> 15, total 67 (now last); B2, B3 30, total 72.
    res = score_bids(_rules(price__method="proportional_deviation"), *_inputs())
    got = {b: (_row(res, b).price, _row(res, b).total, _row(res, b)["rank"]) for b in ("A1", "A2", "A5", "B1", "B3", "B2")}
    assert got == {"A1": (0, 54, 3), "A2": (pytest.approx(12), pytest.approx(60), 2), "A5": (30, 68, 1),
                   "B1": (pytest.approx(15), pytest.approx(67), 3), "B3": (30, 72, 1), "B2": (30, 72, 2)}


def test_engine_accepts_typed_frames_and_rejects_missing_scores():
    bids, scores, moderation = _inputs()
    typed = bids.drop(columns="_line").assign(price=bids["price"].astype(float))
    res = score_bids(_rules(), typed, scores.drop(columns="_line"), moderation)
    assert _row(res, "A2").total == pytest.approx(66.75)
    with pytest.raises(InputError, match="bid B1 has no score for criterion Q2"):
        score_bids(_rules(), bids, scores[~((scores.bid_id == "B1") & (scores.criterion == "Q2"))])
    # A failed gate needs no panel scores at all.
    res = score_bids(_rules(), bids, scores[scores.bid_id != "A3"], moderation)
    assert _row(res, "A3").status == "failed"


NEED_RULES = {
    "title": "Need", "version": 1, "weights": {"quality": 60, "social_value": 10, "price": 30},
    "scale": {"min": 0, "max": 5, "descriptors": {i: str(i) for i in range(6)}},
    "criteria": [
        {"id": "Q1", "title": "Panel", "section": "quality", "weight": 50, "guidance": "g"},
        {"id": "N1", "title": "Reach", "section": "quality", "weight": 50, "type": "need_alignment",
         "service": "idva", "guidance": "Capacity placed where the assessment found a gap."},
        {"id": "SV1", "title": "SV", "section": "social_value", "weight": 100, "guidance": "g"},
    ],
    "price": {"method": "lowest_relative"},
}


def test_need_alignment_hand_case():
    # Shortfall: Hackney (E09000012) +1.5 (gap), Tower Hamlets (E09000030) -0.5, City (E09000001) 0.
    shortfall = {"E09000012": 1.5, "Tower Hamlets": -0.5, "E09000001": 0.0}
    areas = [parse_areas("E09000012:2;E09000030:2"), parse_areas("Hackney:3; City of London:1"),
             parse_areas("E09000030:4")]
    # N1: 2 of 4 in a gap -> 0 + 0.5 × 5 = 2.5; 3 of 4 -> 3.75; 0 of 4 -> 0.
    scores = need_alignment_scores(areas, shortfall_map(shortfall), 0, 5)
    assert scores.tolist() == [2.5, 3.75, 0.0]

    rules = parse_rules(NEED_RULES, source="need.yaml")
    bids = pd.DataFrame({"bid_id": ["N1", "N2"], "organisation": ["Oak", "Pine"], "lot": ["L", "L"],
                         "price": [100.0, 100.0], "submitted_at": ["2027-06-01T09:00", "2027-06-01T10:00"],
                         "areas": ["E09000012:2;E09000030:2", "Hackney:3;E09000001:1"]})
    panel = pd.DataFrame({"bid_id": ["N1", "N1", "N2", "N2"], "scorer": "s1",
                          "criterion": ["Q1", "SV1", "Q1", "SV1"], "score": [3, 3, 3, 3]})
    gaps = pd.DataFrame({"code": ["E09000012", "E09000030", "E09000001", "E09000012"],
                         "service": ["idva", "idva", "idva", "refuge"],
                         "shortfall": [1.5, -0.5, 0.0, -9.0]})
    res = score_bids(rules, bids, panel, shortfall=gaps)
    # Quality = 60 × (0.5 × 3/5 + 0.5 × N1/5): N1 bid 18 + 6 × 2.5 = 33; N2 bid 18 + 6 × 3.75 = 40.5.
    assert _row(res, "N1").quality == pytest.approx(33) and _row(res, "N2").quality == pytest.approx(40.5)
    assert _row(res, "N2")["rank"] == 1 and res.basis.loc["N1", "N1"] == "need alignment"
    with pytest.raises(InputError, match="shortfall table is needed"):
        score_bids(rules, bids, panel)
    with pytest.raises(InputError, match="E09000012 appears more than once"):
        score_bids(parse_rules({**NEED_RULES, "criteria": [{k: v for k, v in c.items() if k != "service"}
                                                           for c in NEED_RULES["criteria"]]}),
                   bids, panel, shortfall=gaps.drop(columns="service"))


def test_parse_areas_errors():
    with pytest.raises(InputError, match="'E09000012' has no capacity"):
        parse_areas("E09000012")
    with pytest.raises(InputError, match="unknown borough 'Atlantis'"):
        parse_areas("Atlantis:2")
    with pytest.raises(InputError, match="capacity '-1' for E09000012 is not a positive number"):
        parse_areas("E09000012:-1")


def test_sensitivity_far_ahead_and_tied_pair(result):
    # leaf weights reproduce the published totals: X @ w0 == total for every ranked bid
    w0, x = leaf_weights(result)
    ranked = result.table[result.table["rank"].notna()]
    assert np.allclose(x @ w0, ranked["total"].to_numpy())
    assert w0.sum() == pytest.approx(100)

    sens = rank_sensitivity(result, 4000, seed=1).set_index("bid_id")
    # Lot B: B1 and B3 tie at 72 with different profiles (B1 better on quality, B3 on price and
    # social value); B1 wins the tie-break. Perturbed weights split them about evenly.
    assert 0.4 < sens.loc["B1", "keep_share"] < 0.6
    assert 0.4 < sens.loc["B3", "keep_share"] < 0.6
    assert sens.loc["B1", "first_share"] == pytest.approx(sens.loc["B1", "keep_share"])

    # A bid far ahead: best on every criterion and cheapest, so first under any weights.
    bids = pd.DataFrame({"bid_id": ["X", "Y", "Z"], "organisation": ["x", "y", "z"], "lot": "L",
                         "price": [100.0, 150.0, 160.0], "submitted_at": "2027-06-01T09:00",
                         "gate_safeguarding": "pass"})
    panel = pd.DataFrame([(b, "s1", c, s) for b, s in (("X", 5), ("Y", 3), ("Z", 2))
                          for c in ("Q1", "Q2", "SV1")], columns=["bid_id", "scorer", "criterion", "score"])
    sens = rank_sensitivity(score_bids(_rules(), bids, panel), 2000).set_index("bid_id")
    assert sens.loc["X", "keep_share"] == 1.0 and sens.loc["X", "first_share"] == 1.0
    # reproducible with a seed
    assert rank_sensitivity(result, 500, seed=3).equals(rank_sensitivity(result, 500, seed=3))
    with pytest.raises(ValueError):
        rank_sensitivity(result, 0)


def test_awards_export(result):
    with pytest.raises(ValueError, match="still flagged.*A1"):
        build_awards(result, funder_id="GB-LAE-TST", funder_name="Test Council", id_prefix="360G-test",
                     award_date="2027-09-01")
    decided = score_bids(_rules(), *_inputs(), decisions={"A1": {"spread:Q2": "Spread reviewed: 4 stands"}})
    with pytest.raises(ValueError, match="id_prefix 'londonvs' is not a 360Giving prefix: it starts with 360G-"):
        build_awards(decided, funder_id="GB-LAE-TST", funder_name="Test Council", id_prefix="londonvs",
                     award_date="2027-09-01")
    with pytest.raises(ValueError, match="award_date is required"):
        build_awards(decided, funder_id="GB-LAE-TST", funder_name="Test Council", id_prefix="360G-test")
    grants = build_awards(decided, funder_id="GB-LAE-TST", funder_name="Test Council", id_prefix="360G-test",
                          award_date="2027-09-01", recipient_ids={"Fir Refuge": "GB-CHC-1"})
    assert [g["id"] for g in grants] == ["360G-test-A1", "360G-test-B1"]
    a1, b1 = grants
    required = {"id", "title", "description", "currency", "amountAwarded", "awardDate",
                "recipientOrganization", "fundingOrganization", "amountAppliedFor", "grantProgramme",
                "beneficiaryLocation"}
    assert required <= set(a1)
    assert a1["amountAwarded"] == 100000 and a1["currency"] == "GBP" and a1["awardDate"] == "2027-09-01"
    assert a1["recipientOrganization"] == [{"id": "360G-test-ORG-alder-trust", "name": "Alder Trust"}]
    assert b1["recipientOrganization"][0]["id"] == "GB-CHC-1"
    assert a1["beneficiaryLocation"] == [{"name": "Hackney", "geoCode": "E09000012", "geoCodeType": "LONB"}]
    assert json.loads(awards_json(grants))["grants"][1]["fundingOrganization"][0]["name"] == "Test Council"
    frame = awards_frame(grants)
    assert frame.loc[1, "Beneficiary Location:0:Geographic Code"] == "E09000022"


@pytest.mark.parametrize("basis, amount", [("annual", 300_000.0), ("whole_contract", 100_000.0)])
def test_awards_amount_is_the_initial_term_on_the_price_basis(basis, amount):
    """A1 bids £100,000 (lot A's winner once the chair's decision clears its flag). With a 3-year contract from
    1 October 2027: annual -> 100,000 x 3 = 300,000 awarded; whole_contract -> 100,000. The term
    runs 2027-10-01 to 2030-09-30 (the day before the same date 3 years on), 36 months."""
    import yaml
    data = yaml.safe_load((FIX / "rules.yaml").read_text())
    data.setdefault("timetable", {})["contract_start"] = "2027-10-01"
    data["contract"] = {"years": 3, "extension_years": 0, "price_basis": basis}
    rules = parse_rules(data, source="rules.yaml")
    grants = build_awards(score_bids(rules, *_inputs(), decisions={"A1": {"spread:Q2": "Reviewed: 4 stands"}}), funder_id="GB-LAE-TST", funder_name="Test Council",
                          id_prefix="360G-test", award_date="2027-09-01")
    a1 = grants[0]
    assert a1["id"] == "360G-test-A1"
    assert a1["amountAwarded"] == amount and a1["amountAppliedFor"] == amount
    assert a1["plannedDates"] == [{"startDate": "2027-10-01", "endDate": "2030-09-30", "duration": 36}]
    assert f"£{amount:,.0f} over the initial 3-year term" in a1["description"]
    frame = awards_frame(grants)
    assert frame.loc[0, "Amount Awarded"] == amount and frame.loc[0, "Planned Dates:0:End Date"] == "2030-09-30"


def test_recorded_decisions_clear_flags_and_are_quoted(result, tmp_path):
    # Without decisions A1 (spread on Q2: 3 to 5) and A5 (price £50,000 under 70% of the lot median
    # £80,000 = £56,000) are flagged.
    assert _row(result, "A1").status == "flagged" and _row(result, "A5").status == "flagged"
    assert "ask the bidder to explain before any decision" in _row(result, "A5").reasons
    path = tmp_path / "decisions.csv"
    path.write_text("bid_id,flag,note\nA5,price,Costs explained: volunteers cover the helpline\n"
                    "A1,spread:Q2,Reviewed: 4 stands\n", encoding="utf-8")
    decided = score_bids(_rules(), *_inputs(), decisions=read_decisions(path))
    a5 = _row(decided, "A5")
    assert a5.status == "ranked" and a5["rank"] == 2
    assert a5.reasons == ("abnormally low price: £50,000 is under 70% of the lot median £80,000; "
                          "decided: Costs explained: volunteers cover the helpline")
    assert "ask the bidder" not in " ".join(decided.ranking["reasons"])
    assert _row(decided, "A1").reasons.endswith("; decided: Reviewed: 4 stands")
    # Totals and ranks do not move: a decision clears a flag, it does not score.
    pd.testing.assert_frame_equal(decided.ranking.drop(columns=["status", "reasons"]),
                                  result.ranking.drop(columns=["status", "reasons"]))
    # One of two decisions: the other bid stays flagged.
    partly = score_bids(_rules(), *_inputs(), decisions={"A5": {"price": "explained"}})
    assert _row(partly, "A5").status == "ranked" and _row(partly, "A1").status == "flagged"
    # A decision on a flag the bid does not raise settles nothing.
    assert _row(score_bids(_rules(), *_inputs(), decisions={"A1": {"price": "x"}}), "A1").status == "flagged"


@pytest.mark.parametrize("body, column, line", [
    ("bid_id,flag,note\nZ9,price,x\n", "bid_id", 2),
    ("bid_id,flag,note\nA5,low price,x\n", "flag", 2),
    ("bid_id,flag,note\nA5,price,\n", "note", 2),
    ("bid_id,flag,note\nA5,price,x\nA5,price,y\n", None, 3),
])
def test_a_bad_decisions_file_is_refused_with_its_line(tmp_path, body, column, line):
    path = tmp_path / "decisions.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        score_bids(_rules(), *_inputs(), decisions=read_decisions(path))
    assert (err.value.column, err.value.line) == (column, line)
