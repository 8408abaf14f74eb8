"""Priorities derived from the gap table, specialist provision by group, and the 3-month notice check.

The small data set below has three authorities (codes E09000001-3, named A, B and C) and two
service types; every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd
import pytest

from commissioning.needs.assessment import Assessment, run_assessment
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.rules import load_rules
from commissioning.procurement.timetable import add_months, check_timetable, timetable_check_from_rules
from commissioning.publish.priorities import REVIEW_GROUPS, derive_priorities, group_provision

AUTHORITIES = {"E09000001": "Avon", "E09000002": "Brook", "E09000003": "Cray"}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("small")
    (d / "population.csv").write_text(textwrap.dedent("""\
        code,name,population,adult_women
        E09000001,Avon,200000,100000
        E09000002,Brook,100000,50000
        E09000003,Cray,400000,200000
        """))
    (d / "demand.csv").write_text(textwrap.dedent("""\
        code,name,measure,value
        E09000001,Avon,marac_cases,10
        E09000002,Brook,marac_cases,10
        E09000003,Cray,marac_cases,10
        """))
    (d / "services.csv").write_text(textwrap.dedent("""\
        service_id,provider,service,capacity,areas,lat,lon,confidential,specialism,illustrative
        S1,P1,idva,1,E09000001,,,false,by-and-for Black and minoritised women,false
        S2,P2,idva,2,E09000002,,,false,LGBT+,false
        S3,P3,idva,6,E09000003,,,false,,false
        R1,P4,refuge,35,all,,,true,male victims,false
        """))
    (d / "benchmarks.yaml").write_text(textwrap.dedent("""\
        status: {green_at: 90, amber_at: 60}
        services:
          idva:
            label: IDVA (Independent Domestic Violence Adviser)
            unit: FTE
            use: rate
            models:
              rate: {base: adult_women, per: 4, per_population: 100000, citation: "4 per 100,000 adult women"}
          refuge:
            label: Refuge (family places)
            unit: spaces
            use: rate
            models:
              rate: {base: population, per: 1, per_population: 10000, citation: "1 per 10,000 population"}
        """))
    return load_dataset(d, authorities=AUTHORITIES)


def test_priorities_most_severe_first_with_worst_authorities(small):
    # IDVA need = 4 per 100,000 adult women: Avon 4, Brook 2, Cray 8 (total 14); provision 1, 2, 6
    # (total 9) -> shortfalls 3, 0, 2; coverage 9/14 = 64.3%.
    # Refuge need = 1 per 10,000 people: Avon 20, Brook 10, Cray 40 (total 70); the one pan-area
    # refuge of 35 spaces is shared by population (2:1:4) -> 10, 5, 20; shortfalls 10, 5, 20;
    # coverage 50% -> refuge is the more severe and comes first.
    priorities = derive_priorities(run_assessment(small))
    assert [p.service for p in priorities] == ["refuge", "idva"]
    assert [p.rank for p in priorities] == [1, 2]
    refuge, idva = priorities
    assert refuge.boroughs == ("Cray", "Avon", "Brook")  # shortfalls 20 > 10 > 5
    assert refuge.shortfall == pytest.approx(35.0)
    assert refuge.coverage_pct == pytest.approx(50.0)
    assert refuge.red_count == 3  # 50% < 60% everywhere
    assert idva.boroughs == ("Avon", "Cray")  # Brook has no shortfall and is not named
    assert idva.shortfall == pytest.approx(5.0)
    assert idva.gap_total == pytest.approx(5.0)
    assert idva.coverage_pct == pytest.approx(100 * 9 / 14)
    assert "4 per 100,000 adult women" in idva.rationale
    assert not idva.illustrative


def test_top_n_limits_the_authorities_named(small):
    idva = [p for p in derive_priorities(run_assessment(small), top_n=1) if p.service == "idva"][0]
    assert idva.boroughs == ("Avon",)
    assert idva.shortfall == pytest.approx(3.0)  # Avon alone
    assert idva.gap_total == pytest.approx(5.0)  # the area-wide figure does not change


def test_a_service_without_shortfall_is_not_a_priority(small):
    gaps = pd.DataFrame({"code": list(AUTHORITIES), "name": list(AUTHORITIES.values()), "service": "idva",
                         "provision": [4.0, 2.0, 8.0], "need": [4.0, 2.0, 8.0], "shortfall": [0.0, 0.0, 0.0],
                         "coverage_pct": [100.0, 100.0, 100.0], "status": ["green"] * 3})
    assert derive_priorities(Assessment.from_gaps(small, gaps)) == []


def test_group_provision_shares(small):
    groups = {g.group: g for g in group_provision(small)}
    black = groups["Black and minoritised victims"]
    # IDVA capacity 1 + 2 + 6 = 9; the Black and minoritised specialist service has 1 -> 11.1%.
    assert black.capacity == {"idva": 1.0, "refuge": 0.0}
    assert black.share_pct["idva"] == pytest.approx(100 / 9)
    assert black.little == ("refuge",)
    assert black.authorities == 1
    assert groups["LGBT+ victims"].share_pct["idva"] == pytest.approx(200 / 9)
    male = groups["Male victims"]
    assert male.share_pct == {"idva": 0.0, "refuge": 100.0}
    assert male.little == ("idva",) and male.authorities == 3
    assert groups["Young victims"].little == ("idva", "refuge")


@pytest.mark.parametrize("text, group, matches", [
    ("deaf and disabled", "Disabled and Deaf victims", True),
    ("adults with learning disabilities", "Disabled and Deaf victims", False),
    ("adults with learning disabilities", "Victims with learning disabilities", True),
    ("male victims", "Male victims", True),
    ("female survivors", "Male victims", False),
    ("by-and-for Black and minoritised women", "Black and minoritised victims", True),
    ("young people", "Young victims", True),
    ("LGBT+", "LGBT+ victims", True),
])
def test_group_patterns(text, group, matches):
    assert pd.Series([text]).str.contains(REVIEW_GROUPS[group], case=False, regex=True).iloc[0] == matches


@pytest.mark.parametrize("start, expected", [
    (dt.date(2027, 1, 15), dt.date(2027, 4, 15)),
    (dt.date(2026, 8, 31), dt.date(2026, 11, 30)),   # November has no 31st: its last day
    (dt.date(2026, 11, 30), dt.date(2027, 2, 28)),   # February 2027 has 28 days
    (dt.date(2027, 11, 30), dt.date(2028, 2, 29)),   # 2028 is a leap year
    (dt.date(2026, 12, 1), dt.date(2027, 3, 1)),
])
def test_add_three_calendar_months(start, expected):
    assert add_months(start, 3) == expected


def test_notice_met_on_the_corresponding_day():
    check = check_timetable(dt.date(2027, 1, 15), dt.date(2027, 4, 15))
    # 15 Jan -> 15 Feb 31 days, -> 15 Mar 28 days, -> 15 Apr 31 days: 90 days, 3 whole months.
    assert check.ok and check.days_between == 90 and check.months_between == 3
    assert check.earliest_invitation == dt.date(2027, 4, 15)


def test_notice_one_day_short_fails():
    check = check_timetable(dt.date(2027, 1, 15), dt.date(2027, 4, 14))
    assert not check.ok
    assert check.days_between == 89 and check.months_between == 2
    assert "15 April 2027" in check.message and "1 day later" in check.message


def test_end_of_month_rule():
    # Published 30 November 2026: earliest invitation 28 February 2027 (no 30 February).
    assert not check_timetable(dt.date(2026, 11, 30), dt.date(2027, 2, 27)).ok
    assert check_timetable(dt.date(2026, 11, 30), dt.date(2027, 2, 28)).ok


def test_default_rules_timetable_gives_three_months_notice():
    # scoring_rules/default.yaml: published 15 Jan 2027, bids invited 20 Apr 2027 -> 95 days.
    check = timetable_check_from_rules(load_rules())
    assert check.ok and check.days_between == 95


def test_missing_dates_give_no_check():
    class NoDates:
        timetable = {"bids_close": dt.date(2027, 6, 4)}

    assert timetable_check_from_rules(NoDates()) is None
