"""Scoring rules: the shipped default and the files that must be rejected, with their messages."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from commissioning.errors import InputError
from commissioning.paths import DEFAULT_RULES
from commissioning.procurement.rules import load_rules, parse_rules

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "scoring" / "rules.yaml"


def test_default_rules_follow_the_published_practice():
    rules = load_rules()
    assert rules.source == DEFAULT_RULES.name
    assert rules.weights == {"quality": 60, "social_value": 10, "price": 30}
    assert rules.weights["quality"] > rules.weights["price"]
    assert rules.weights["social_value"] >= 10  # PPN 06/20 / PPN 002 minimum
    titles = " ".join(c.title.lower() for c in rules.criteria)
    for topic in ("victims' needs", "by-and-for", "safeguarding", "referral", "outcomes", "sustainability"):
        assert topic in titles
    assert all(len(c.guidance) > 40 for c in rules.criteria)
    needs = rules.criterion("Q1").guidance
    for group in ("Black and minoritised", "disabled", "LGBT+", "young", "male", "learning disabilities"):
        assert group in needs
    # Priorities published at least three months before bids are invited.
    published, invited = rules.timetable["priorities_published"], rules.timetable["bids_invited"]
    assert invited >= dt.date(published.year, published.month + 3, published.day)
    assert "every bid" in rules.min_score_policy and "waived" in rules.min_score_policy
    assert [g.column for g in rules.gates][0] == "gate_safeguarding"


def test_fixture_rules_defaults():
    rules = load_rules(FIXTURE)
    assert rules.criterion("Q1").max_score == 5  # defaults to scale.max
    assert rules.criterion("Q2").type == "panel" and rules.criterion("Q2").min_score is None
    assert rules.abnormally_low == 0.7 and rules.consensus == "median" and rules.spread_flag == 2


def _base() -> dict:
    return yaml.safe_load(FIXTURE.read_text())


def _set(data, path, value):
    *head, last = path
    for part in head:
        data = data[part]
    if value is _DELETE:
        del data[last]
    else:
        data[last] = value


_DELETE = object()

REJECTED = [
    ("weights", {"quality": 60, "social_value": 10, "price": 20},
     "bad.yaml: weights: sum to 90, must sum to 100"),
    ("weights", {"quality": 45, "social_value": 10, "price": 45},
     "bad.yaml: weights.price: 45 is not below quality (45)"),
    (("criteria", 0, "weight"), 40,
     "bad.yaml: criteria: weights of the quality criteria sum to 90, must sum to 100"),
    (("criteria", 2, "section"), "value", "bad.yaml: criteria[2].section: 'value' is not one of"),
    (("criteria", 1, "type"), "jury", "bad.yaml: criteria[1].type: 'jury' is not one of"),
    (("price", "method"), "cheapest", "bad.yaml: price.method: 'cheapest' is not one of"),
    (("moderation", "consensus"), "mode", "bad.yaml: moderation.consensus: 'mode' is not one of"),
    (("criteria", 1, "id"), "Q1", "bad.yaml: criteria[1].id: duplicate id 'Q1' (also criteria[0])"),
    (("criteria", 0, "min_score"), 6, "bad.yaml: criteria[0].min_score: 6 is outside the scale (0..5)"),
    (("criteria", 0, "max_score"), 7, "bad.yaml: criteria[0].max_score: 7 is outside the scale (1..5)"),
    (("scale", "descriptors", 3), _DELETE, "bad.yaml: scale.descriptors: must name every point 0..5 (missing [3])"),
    (("criteria", 1, "weight"), _DELETE, "bad.yaml: criteria[1].weight: required key is missing"),
    (("criteria", 2, "weight"), "ten", "bad.yaml: criteria[2].weight: 'ten' is not of type 'number'"),
    (("criteria", 2, "guidance"), _DELETE, "bad.yaml: criteria[2].guidance: required key is missing"),
    (("gates", 0, "id"), "Safe guarding", "bad.yaml: gates[0].id: 'Safe guarding' does not match"),
    (("price", "abnormally_low"), 1.5, "bad.yaml: price.abnormally_low: 1.5 is greater than the maximum of 1"),
    ("timetable", {"priorities_published": dt.date(2027, 5, 1), "bids_invited": dt.date(2027, 4, 1)},
     "bad.yaml: timetable.bids_invited: 2027-04-01 is before priorities_published (2027-05-01)"),
    ("timetable", {"award": "next spring"}, "bad.yaml: timetable.award: 'next spring' is not a 'date'"),
    ("weights", {"quality": 70, "social_value": 0, "price": 30},
     "bad.yaml: criteria: social_value criteria given but weights.social_value is 0"),
]


@pytest.mark.parametrize("path, value, message", REJECTED, ids=[m.split(": ", 1)[1][:40] for *_, m in REJECTED])
def test_rejected_rules_name_file_and_key(tmp_path, path, value, message):
    data = _base()
    _set(data, path if isinstance(path, tuple) else (path,), value)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(InputError) as err:
        load_rules(bad)
    assert str(err.value).startswith(message), str(err.value)


def test_gate_duplicate_and_unused_extra_keys(tmp_path):
    data = _base()
    data["gates"].append(copy.deepcopy(data["gates"][0]))
    with pytest.raises(InputError, match=r"^x: gates\[1\]\.id: duplicate id 'safeguarding'"):
        parse_rules(data, source="x")
    data = _base()
    data["published_by"] = "Example commissioners"  # more optional keys are fine
    data["criteria"][0]["notes"] = "internal"
    assert parse_rules(data).title == "Test round"


def test_yaml_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("title: x\nweights: {quality: 60\nversion: 1\n")
    with pytest.raises(InputError, match=r"^broken\.yaml, line \d+: not valid YAML"):
        load_rules(bad)


KPI_REJECTED = [
    ([{"measure": "speed", "target": 5}], "lots[0].kpis[0].measure: 'speed' is not one of"),
    ([{"measure": "waiting_days_median", "target": 5}, {"measure": "waiting_days_median", "target": 6}],
     "lots[0].kpis[1].measure: waiting_days_median is declared twice"),
    ([{"measure": "clients_satisfied_pct", "target": 120}], "lots[0].kpis[0].target: 120 is over 100%"),
    ([{"measure": "waiting_days_median", "target": 5, "approaching": 4}],
     "lots[0].kpis[0].approaching: 4 must be above the target 5"),
    ([{"measure": "capacity_delivered_pct", "target": 95, "approaching": 99}],
     "lots[0].kpis[0].approaching: 99 must be below the target 95"),
]


@pytest.mark.parametrize("kpis, message", KPI_REJECTED, ids=[m[:40] for _, m in KPI_REJECTED])
def test_rejected_kpis_name_the_lot_and_key(kpis, message):
    data = yaml.safe_load(DEFAULT_RULES.read_text())
    data["lots"][0]["kpis"] = kpis
    with pytest.raises(InputError) as err:
        parse_rules(yaml.safe_dump(data, sort_keys=False), source="bad.yaml")
    assert str(err.value).startswith(f"bad.yaml: {message}"), str(err.value)


def test_default_rules_declare_each_lots_kpis_and_the_buyer():
    rules = load_rules()
    for lot in rules.lots:
        assert [(k.measure, k.target, k.approaching) for k in lot.kpis] == [
            ("referrals_refused_pct", 10, None), ("waiting_days_median", 5, 7),
            ("clients_satisfied_pct", 85, None), ("capacity_delivered_pct", 95, 85)]
    assert rules.lots[0].kpis[0].words == "at most 10% of referrals refused for lack of capacity"
    assert rules.raw["buyer"] == {"name": "Mayor's Office for Policing and Crime", "id": "GB-GOR-PB8"}
