"""The pure contract logic: terms from winning bids on either price basis, term ends, and KPI
ratings at their edges (no data, exactly on the target, the approaching level)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from commissioning.contracts.performance import _rate, period_end
from commissioning.contracts.terms import contract_terms, term_end
from commissioning.errors import InputError
from commissioning.procurement.rules import Kpi, load_rules

WINNER = {"bid_id": "W-01", "lot": "West", "organisation": "Westway", "partners": ["Birch"], "price": 300000,
          "areas": {"E09000033": 2.0, "E09000013": 1.5}}


def test_terms_on_each_price_basis():
    rules = load_rules()
    [annual] = contract_terms(rules, [WINNER])
    assert (annual.annual_value, annual.term_value) == (300000, 900000)       # 300,000 a year x 3 years
    assert (annual.start, annual.end, annual.extension_years) == (dt.date(2027, 10, 1), dt.date(2030, 9, 30), 2)
    assert (annual.services, annual.capacity_service, annual.partners) == (("idva", "isva", "refuge"), "idva",
                                                                          ("Birch",))
    whole = dataclasses.replace(rules, price_basis="whole_contract")
    [term] = contract_terms(whole, [WINNER])
    assert (term.annual_value, term.term_value) == (100000, 300000)           # 300,000 for 3 years


def test_a_lot_without_services_or_rules_without_a_contract_are_refused():
    rules = load_rules()
    bare = dataclasses.replace(rules, lots=tuple(dataclasses.replace(lot, services=()) for lot in rules.lots))
    with pytest.raises(InputError, match="names no services"):
        contract_terms(bare, [WINNER])
    with pytest.raises(InputError, match="set no contract"):
        contract_terms(dataclasses.replace(rules, contract_years=None), [WINNER])


def test_term_and_period_ends():
    assert term_end(dt.date(2027, 10, 1), 3) == dt.date(2030, 9, 30)
    assert term_end(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)          # anniversary 1 March 2029
    assert term_end(dt.date(2027, 3, 1), 1) == dt.date(2028, 2, 29)
    assert period_end("2028Q1") == dt.date(2028, 3, 31) and period_end("2028Q4") == dt.date(2028, 12, 31)
    assert period_end("2028") == dt.date(2028, 12, 31)


def test_ratings_at_their_edges():
    wait = Kpi("waiting_days_median", 5, approaching=7)
    assert [_rate(wait, v) for v in (5, 7, 7.01, math.nan)] == ["met", "approaching", "not met", "no data"]
    refused = Kpi("referrals_refused_pct", 10)
    assert _rate(refused, 10, 5, 18) == "met"
    assert _rate(refused, 12, 9.9, 15) == "approaching"      # the interval reaches the target
    assert _rate(refused, 12, 10.1, 15) == "not met"
    satisfied = Kpi("clients_satisfied_pct", 85)
    assert _rate(satisfied, 80, 70, 85) == "approaching" and _rate(satisfied, 80, 70, 84.9) == "not met"
