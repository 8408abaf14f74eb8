"""Victim satisfaction (issue 14): Wilson intervals against hand computation, the status, change and
gap rules, suppression, the results/targets/returns readers' errors, the CLI's CSV, the trajectory,
the PDF (extracted text) and the HTML (structure)."""

from __future__ import annotations

import csv
import io
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from commissioning.cli import main
from commissioning.errors import InputError
from commissioning.publish.html import Document
from commissioning.satisfaction import measures, publication, trajectory
from commissioning.satisfaction.areas import read_areas
from commissioning.satisfaction.results import parse_results, read_results
from commissioning.returns.publication import client_satisfaction
from commissioning.satisfaction.returns import read_returns_satisfaction
from commissioning.satisfaction.targets import parse_targets, targets_yaml
from commissioning.stats import (
    Z95,
    change,
    difference,
    overlap,
    status,
    wilson,
)

HEADER = "area_code,area_name,period_end,group,respondents,satisfied"
TARGETS = """set_by: MOPAC
set_on: 2026-04-01
targets:
  - area_code: E23000001
    group: all
    by_year: {2026: 78, 2027: 80}
  - area_code: E09000012
    group: all
    by_year: {2026: 75}
"""
RETURNS_HEADER = ("provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,"
                  "waiting_days_median,clients_surveyed,clients_satisfied")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Wilson score interval: hand computation
# ---------------------------------------------------------------------------------------------

def test_wilson_74_of_100_by_hand():
    z2 = 1.959964 ** 2                                    # 3.841458881296
    denominator = 1 + z2 / 100                            # 1.03841458881296
    centre = (0.74 + z2 / 200) / denominator
    half = 1.959964 / denominator * math.sqrt(0.74 * 0.26 / 100 + z2 / 40000)
    pct, lower, upper = wilson(74, 100)
    assert pct == 74.0
    assert lower == pytest.approx(100 * (centre - half), abs=1e-12)
    assert upper == pytest.approx(100 * (centre + half), abs=1e-12)
    assert (lower, upper) == pytest.approx((64.62901047218014, 81.59530158690804), abs=1e-9)


def test_wilson_zero_and_hundred_percent_closed_forms():
    z2 = Z95 ** 2
    # at 0%: lower is exactly 0 and upper = z^2 / (n + z^2); at 100%: lower = n / (n + z^2), upper exactly 100
    assert wilson(0, 10) == (0.0, 0.0, pytest.approx(100 * z2 / (10 + z2), abs=1e-12))
    assert wilson(0, 10)[2] == pytest.approx(27.75328030260577, abs=1e-9)
    pct, lower, upper = wilson(10, 10)
    assert (pct, upper) == (100.0, 100.0)
    assert lower == pytest.approx(100 * 10 / (10 + z2), abs=1e-12) == pytest.approx(72.24671969739424, abs=1e-9)


def test_wilson_matches_statsmodels():
    proportion_confint = pytest.importorskip("statsmodels.stats.proportion").proportion_confint
    for k, n in ((1, 2), (37, 51), (7370, 9587), (3, 400)):
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")   # z = 1.95996398...
        assert wilson(k, n)[1:] == pytest.approx((100 * low, 100 * high), abs=1e-6)


def test_wilson_refuses_impossible_counts_and_has_no_interval_for_nobody():
    with pytest.raises(ValueError):
        wilson(5, 4)
    assert all(math.isnan(v) for v in wilson(0, 0))


# ---------------------------------------------------------------------------------------------
# Reading intervals: status, change, gaps
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lower, upper, target, expected", [
    (78.0, 82.0, 78.0, "above"),             # the lower bound equal to the target counts as above
    (78.1, 82.0, 78.0, "above"),
    (70.0, 77.9, 78.0, "below"),
    (70.0, 78.0, 78.0, "not significant"),   # upper bound equal to the target is not below
    (76.0, 80.0, 78.0, "not significant"),
    (76.0, 80.0, None, "no target"),
    (math.nan, math.nan, 78.0, "not significant"),   # no interval (percentage only): cannot be told apart
])
def test_status_rules(lower, upper, target, expected):
    assert status(lower, upper, target) == expected


def test_change_is_flagged_only_when_intervals_do_not_overlap():
    assert overlap((70, 75), (75, 80))                         # touching counts as overlapping
    assert change((72, 70, 75), (77, 75, 80)) == "no significant change"
    assert change((72, 70, 74.9), (77, 75, 80)) == "up"
    assert change((77, 75, 80), (72, 70, 74.9)) == "down"
    assert change((74, math.nan, math.nan), (90, 88, 92)) == "no significant change"


def test_gap_interval_newcombe_by_hand():
    a, b = wilson(72, 100), wilson(154, 200)
    gap, lower, upper = difference(a, b)
    assert gap == pytest.approx(72 - 77)
    assert lower == pytest.approx(-5 - math.sqrt((a[0] - a[1]) ** 2 + (b[2] - b[0]) ** 2))
    assert upper == pytest.approx(-5 + math.sqrt((a[2] - a[0]) ** 2 + (b[0] - b[1]) ** 2))
    assert lower < 0 < upper                                  # a 5-point gap on these samples is not significant


def test_measure_joins_targets_by_calendar_year_and_flags_changes(tmp_path):
    results = parse_results(HEADER + "\n"
                            "E23000001,Met,2025-12,all,1000,700\n"    # 70.0%: no 2025 target
                            "E23000001,Met,2026-03,all,1000,800\n"    # 80.0% (77.4-82.3) vs 78: not significant
                            "E23000001,Met,2027-03,all,4000,3400\n"   # 85.0% (83.9-86.1) vs 80: above
                            "E09000012,Hackney,2026-03,all,300,180\n"  # 60% (54.4-65.4) vs 75: below
                            "E09000012,Hackney,2026-03,bame,40,30\n", "t.csv")
    out = measures.measure(results, parse_targets(TARGETS, "t.yaml"))
    got = {(r.area_code, r.period_end, r.group): (r.target_pct, r.status, r.change) for r in out.itertuples()}
    assert got[("E23000001", "2025-12", "all")][:2] == (pytest.approx(math.nan, nan_ok=True), "no target")
    assert got[("E23000001", "2026-03", "all")] == (78.0, "not significant", "up")
    assert got[("E23000001", "2027-03", "all")] == (80.0, "above", "up")
    assert got[("E09000012", "2026-03", "all")][:2] == (75.0, "below")
    assert got[("E09000012", "2026-03", "bame")][1] == "no target"


# ---------------------------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------------------------

def test_suppression_below_50_and_the_complement_that_would_give_it_away():
    results = parse_results(HEADER + "\n"
                            "E23000001,Met,2026-09,all,1000,800\n"
                            "E23000001,Met,2026-09,disabled,49,30\n"         # under 50: suppressed
                            "E23000001,Met,2026-09,not_disabled,951,770\n"   # all - this = disabled: suppressed too
                            "E23000001,Met,2026-09,bame,50,40\n", "t.csv")   # exactly 50: shown
    out = measures.suppress(measures.measure(results)).set_index("group")["suppressed"]
    assert out.to_dict() == {"all": False, "bame": False, "disabled": True, "not_disabled": True}


def test_a_lone_suppressed_borough_takes_the_smallest_other_with_it():
    results = parse_results(HEADER + "\n"
                            "E09000012,Hackney,2026-09,all,30,20\n"
                            "E09000010,Enfield,2026-09,all,200,150\n"
                            "E09000030,Tower Hamlets,2026-09,all,120,90\n", "t.csv")
    out = measures.suppress(measures.measure(results)).set_index("area_code")["suppressed"]
    assert out.to_dict() == {"E09000010": False, "E09000012": True, "E09000030": True}


def test_published_tables_say_suppressed_and_never_show_the_hidden_numbers(tmp_path):
    path = write(tmp_path, "r.csv", HEADER + "\nE23000001,Met,2026-09,all,1000,800\n"
                 "E09000012,Hackney,2026-09,all,42,31\nE09000010,Enfield,2026-09,all,200,150\n"
                 "E09000030,Tower Hamlets,2026-09,all,300,240\nE23000001,Met,2026-09,under_16,12,9\n")
    pub = publication.build_publication(publication.load_inputs(path), "2026Q3")
    areas = publication.areas_table(pub).set_index("Area")
    assert (areas.loc["Hackney"][["Respondents", "Satisfied", "95% interval"]] == "suppressed").all()
    assert (areas.loc["Enfield"][["Respondents", "Satisfied"]] == "suppressed").all()   # the smaller other borough
    assert areas.loc["Tower Hamlets", "Respondents"] == "300"
    assert publication.groups_table(pub).iloc[0]["Respondents"] == "suppressed"
    text = publication.areas_table(pub).to_csv() + publication.groups_table(pub).to_csv()
    assert "42" not in text and "73.8" not in text and "12" not in text and "75.0%" not in text


# ---------------------------------------------------------------------------------------------
# Bad input: each names the file, line and column; the CLI exits 2 with no traceback
# ---------------------------------------------------------------------------------------------

BAD_RESULTS = [
    ("E23000001,Met,2026-09,all,100,101", 2, "satisfied", "more than"),
    ("E23000001,Met,2026-09,all,-5,0", 2, "respondents", "negative"),
    ("E23000001,Met,2026-09,all,100,-1", 2, "satisfied", "negative"),
    ("E23000001,Met,2026-09,all,nan,10", 2, "respondents", "not a finite"),
    ("E23000001,Met,2026-09,all,inf,10", 2, "respondents", "not a finite"),
    ("E23000001,Met,2026-09,all,100,1e999", 2, "satisfied", "not a finite"),
    ("E23000001,Met,2026-09,all,100.5,10", 2, "respondents", "whole number"),
    ("E23000001,Met,2026-09,all,lots,10", 2, "respondents", "not a number"),
    ("E23000001,Met,2026-09,all,0,0", 2, "respondents", "0 respondents"),
    ("E23000001,Met,2026-09,all,,", 2, "respondents", "empty"),
    ("E09000099,Nowhere,2026-09,all,100,50", 2, "area_code", "unknown area"),
    ("XYZ,Somewhere,2026-09,all,100,50", 2, "area_code", "unknown area"),
    ("E23000001,Met,2026-13,all,100,50", 2, "period_end", "period"),
    ("E23000001,Met,202609,all,100,50", 2, "period_end", "period"),
    ("E23000001,Met,Sep 2026,all,100,50", 2, "period_end", "period"),
    ("E23000001,Met,2026-09,All Victims,100,50", 2, "group", "group"),
    ("E23000001,Met,2026-09,all,100", 2, None, "5 fields"),
]


@pytest.mark.parametrize("row, line, column, words", BAD_RESULTS)
def test_bad_results_name_file_line_and_column(tmp_path, row, line, column, words):
    path = write(tmp_path, "bad.csv", HEADER + "\nE23000001,Met,2026-06,all,100,70\n" + row + "\n")
    with pytest.raises(InputError) as caught:
        read_results(path)
    err = caught.value
    assert (Path(err.file).name, err.line, err.column) == ("bad.csv", line + 1, column)
    assert words in str(err)
    assert f"bad.csv, line {line + 1}" in str(err)


def test_bad_results_file_level_problems(tmp_path):
    cases = {
        "area_code,area_name,period_end,group,respondents,satisfied,group\n": "duplicate column",
        "area_code,area_name,period_end,group,respondents\n": "missing column",
        "area_code,area_name,period_end,group,respondents,satisfied,colour\n": "unknown column",
        HEADER + "\n": "no data rows",
        HEADER + "\nE23000001,Met,2026-09,all,100,70\nE23000001,Met,2026-09,all,100,71\n": "first on line 2",
        HEADER + ',reported_pct\nE23000001,Met,2026-09,all,100,70,70\n': "either counts or a reported_pct",
        HEADER + ',basis\nE23000001,Met,2026-09,all,100,70,made-up\n': "basis 'made-up'",
        HEADER + '\nE23000001,"Met,2026-09,all,100,70\n': "is not closed",  # an unclosed quote: truncated
        # issue 22: "300,2" for "300,240" (a file cut short) is refused, not read as 0.7%
        HEADER + "\nE23000001,Met,2026-09,all,300,2": "cut short",
    }
    for text, words in cases.items():
        path = write(tmp_path, "bad.csv", text)
        with pytest.raises(InputError, match=re.escape(words)) as caught:
            read_results(path)
        assert Path(caught.value.file).name == "bad.csv" and caught.value.line is not None


def test_cli_bad_input_exits_2_with_file_line_column(tmp_path, capsys):
    results = write(tmp_path, "r.csv", HEADER + "\nE23000001,Met,2026-09,all,100,120\n")
    targets = write(tmp_path, "t.yaml", TARGETS)
    assert main(["satisfaction", "report", "--results", str(results), "--targets", str(targets)]) == 2
    err = capsys.readouterr().err
    assert f"{results}, line 2, column 'satisfied'" in err and "Traceback" not in err


@pytest.mark.parametrize("text, line, words", [
    (TARGETS.replace("{2026: 78, 2027: 80}", "{2026: 78, 2026: 80}"), 6, "duplicate key 2026"),
    (TARGETS.replace("set_by: MOPAC", "set_by: &who MOPAC\nnote: *who"), 1, "anchors and aliases"),
    (TARGETS.replace("E09000012", "E09000099"), 7, "unknown area"),
    (TARGETS.replace("{2026: 75}", "{2026: 175}"), 9, "target 175"),
    (TARGETS.replace("{2026: 75}", "{2026: .nan}"), 9, ".nan is not a finite number"),
    (TARGETS.replace("{2026: 75}", "{twenty: 75}"), 9, "year 'twenty'"),
    (TARGETS.replace("set_on: 2026-04-01", "set_on: soon"), 2, "set_on 'soon'"),
    (TARGETS + "  - area_code: E23000001\n    group: all\n    by_year: {2028: 82}\n", 10, "first on line 4"),
    (TARGETS.replace("set_by: MOPAC\n", ""), 1, "missing key 'set_by'"),
    (TARGETS + "colour: blue\n", 10, "unknown key 'colour'"),
])
def test_bad_targets_name_file_and_line(text, line, words):
    with pytest.raises(InputError) as caught:
        parse_targets(text, "targets.yaml")
    assert caught.value.file == "targets.yaml" and caught.value.line == line
    assert words in str(caught.value)


def test_targets_round_trip_and_lookup_by_calendar_year():
    targets = parse_targets(TARGETS, "t.yaml")
    assert targets.set_by == "MOPAC" and str(targets.set_on) == "2026-04-01"
    assert targets.target("E23000001", "all", "2026-12") == 78.0
    assert targets.target("E23000001", "all", "2027-01") == 80.0
    assert targets.target("E23000001", "all", "2028-01") is None
    assert targets.target("E23000001", "bame", "2026-12") is None
    assert parse_targets(targets_yaml(targets), "again.yaml").by_key == targets.by_key


def test_bcu_areas_file(tmp_path):
    areas = read_areas(write(tmp_path, "bcus.csv", "code,name,boroughs\nCE,Central East,Hackney;E09000030\n"))
    assert areas.bcus["CE"] == ("Central East", ("E09000012", "E09000030"))
    results = parse_results(HEADER + "\nCE,,2026-09,all,600,450\n", "r.csv", areas)
    assert results.iloc[0][["area_name", "area_kind"]].tolist() == ["Central East", "BCU"]
    with pytest.raises(InputError, match="unknown area 'CE'"):
        parse_results(HEADER + "\nCE,,2026-09,all,600,450\n", "r.csv")
    with pytest.raises(InputError, match="unknown borough 'Hackny'") as caught:
        read_areas(write(tmp_path, "bad.csv", "code,name,boroughs\nCE,Central East,Hackny\n"))
    assert (caught.value.line, caught.value.column) == (2, "boroughs")


# ---------------------------------------------------------------------------------------------
# Provider returns: the second source, never mixed in
# ---------------------------------------------------------------------------------------------

def test_provider_returns_aggregate_per_borough_and_london(tmp_path):
    path = write(tmp_path, "returns.csv", RETURNS_HEADER + "\n"
                 "A,idva,2026Q3,E09000012,3,10,1,5,12,40,30\n"
                 "B,isva,2026Q3,Hackney,,,,,,20,19\n"
                 "C,refuge,2026Q3,London,,,,,,100,90\n"
                 "D,idva,2026Q3,E09000030,,,,,,,\n"                 # not reported: left out, not zero
                 "A,idva,2026Q2,E09000012,,,,,,10,5\n")
    rows = read_returns_satisfaction(path)
    table, audited = client_satisfaction(rows.loc[rows["quarter"] == "2026Q3"])
    table = table.set_index("Area")
    # Hackney: 40 + 20 asked, 30 + 19 = 49 satisfied (81.7%), two providers; pan-London work counts in
    # its own row and in London: 60 + 100 = 160 asked, 49 + 90 = 139 satisfied (86.9%).
    assert table.loc["Hackney", ["Providers", "Clients asked", "Satisfied"]].tolist() == ["2", "60", "81.7%"]
    assert table.loc["London-wide services", ["Clients asked", "Satisfied"]].tolist() == ["100", "90.0%"]
    assert table.loc["London", ["Providers", "Clients asked", "Satisfied", "Basis"]].tolist() == \
        ["3", "160", "86.9%", "real"]
    assert audited.values.loc["__total__"].tolist() == [160, 139]
    assert "Wandsworth" not in table.index                  # not reported: left out, not zero


@pytest.mark.parametrize("row, column, words", [
    ("A,idva,2026Q3,E09000012,,,,,,10,11", "clients_satisfied", "more than"),
    ("A,idva,2026Q3,E09000012,,,,,,-1,0", "clients_surveyed", "whole number"),
    ("A,idva,2026Q3,E09000012,,,,,,inf,0", "clients_surveyed", "whole number"),
    ("A,idva,2026Q3,E09000012,,,,,,10,", "clients_satisfied", "only one"),
    ("A,idva,2026-Q3,E09000012,,,,,,10,5", "quarter", "quarter"),
    ("A,idva,2026Q3,Hackny,,,,,,10,5", "code", "unknown borough"),
])
def test_bad_provider_returns(tmp_path, row, column, words):
    path = write(tmp_path, "returns.csv", RETURNS_HEADER + "\n" + row + "\n")
    with pytest.raises(InputError, match=words) as caught:
        read_returns_satisfaction(path)
    assert (caught.value.line, caught.value.column) == (2, column)


# ---------------------------------------------------------------------------------------------
# CLI report: exact columns, unrounded
# ---------------------------------------------------------------------------------------------

def test_cli_report_csv_columns_and_values(tmp_path, capsys):
    results = write(tmp_path, "r.csv", HEADER + "\nE23000001,Metropolitan Police,2026-09,all,100,74\n"
                    "E09000012,=HYPERLINK(1),2026-09,all,10,0\n")
    targets = write(tmp_path, "t.yaml", TARGETS)
    out = tmp_path / "report.csv"
    assert main(["satisfaction", "report", "--results", str(results), "--targets", str(targets),
                 "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["area_code", "area_name", "period_end", "group", "respondents", "satisfied_pct",
                             "lower95", "upper95", "target_pct", "status"]
    met = next(r for r in rows if r["area_code"] == "E23000001")
    assert met["respondents"] == "100" and float(met["satisfied_pct"]) == 74.0
    assert float(met["lower95"]) == 64.62901047218014 and float(met["upper95"]) == 81.59530158690804
    assert (met["target_pct"], met["status"]) == ("78.0", "not significant")
    hackney = next(r for r in rows if r["area_code"] == "E09000012")
    assert hackney["area_name"] == "Hackney"          # official name for a borough code
    assert (float(hackney["lower95"]), hackney["status"]) == (0.0, "below")


def test_cli_report_table_on_embedded_data(capsys):
    assert main(["satisfaction", "report"]) == 0
    captured = capsys.readouterr()
    assert "Metropolitan Police" in captured.out and "74.0 (no interval)" in captured.out
    assert "ILLUSTRATIVE" in captured.err


def test_embedded_baseline_is_the_reviews_real_figures():
    results = read_results(publication.DEFAULT_RESULTS)
    real = results[results["basis"] == "real"].set_index(["period_end", "group"])["reported_pct"]
    assert real.to_dict() == {("2012-06", "all"): 74, ("2012-03", "bame"): 72, ("2012-03", "white_british"): 77,
                              ("2012-03", "disabled"): 70, ("2012-03", "not_disabled"): 76,
                              ("2011-09", "vulnerable_unacknowledged"): 46, ("2011-09", "vulnerable_acknowledged"): 79}
    assert set(results.loc[results["basis"] == "real", "source"]) == {"london_assembly_victim_care_2013"}
    assert set(results.loc[results["period_end"] >= "2026", "basis"]) == {"illustrative"}


# ---------------------------------------------------------------------------------------------
# Trajectory
# ---------------------------------------------------------------------------------------------

def test_linear_path_rounds_up_each_year():
    # 74% in 2012 to 90% in 2016: 4 points a year -> 78, 82, 86, 90
    assert trajectory.linear_path(74, 2012, 90, 2016) == {2013: 78, 2014: 82, 2015: 86, 2016: 90}
    # 79.4% in 2026 to 85% in 2029: 81.27 -> 82, 83.13 -> 84, 85
    assert trajectory.linear_path(79.4, 2026, 85, 2029) == {2027: 82, 2028: 84, 2029: 85}
    with pytest.raises(InputError):
        trajectory.linear_path(74, 2016, 90, 2012)


def test_trajectory_to_the_highest_force_rating(tmp_path):
    results = write(tmp_path, "r.csv", HEADER + "\nE23000001,Met,2026-09,all,1000,740\n"
                    "E23000010,Force X,2026-09,all,500,450\nE23000011,Force Y,2026-09,all,500,430\n"
                    "E23000012,Force Z,2025-09,all,500,490\n")    # older period: not the current best
    out = tmp_path / "proposed.yaml"
    assert main(["satisfaction", "trajectory", "--results", str(results), "--area", "E23000001",
                 "--goal", "highest", "--goal-year", "2029", "--out", str(out)]) == 0
    proposed = parse_targets(out.read_text(), "proposed.yaml")
    # 74% (2026) to Force X's 90% by 2029: 79.33 -> 80, 84.67 -> 85, 90
    assert proposed.by_key == {("E23000001", "all"): {2027: 80.0, 2028: 85.0, 2029: 90.0}}
    text = out.read_text()
    assert "Force X" in text and "Proposed trajectory" in text


# ---------------------------------------------------------------------------------------------
# The quarterly documents
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def embedded_publication():
    return publication.build_publication(publication.load_inputs(), "2026Q3")


def test_pdf_text(tmp_path, capsys):
    out = tmp_path / "q3.pdf"
    assert main(["satisfaction", "publish", "--quarter", "2026Q3", "--format", "pdf", "--out", str(out)]) == 0
    reader = PdfReader(out)
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "Victim satisfaction: quarterly report, 2026Q3" in text
    assert "ILLUSTRATIVE DATA" in text
    assert "79.4% of victims surveyed by the Metropolitan Police were satisfied" in text
    assert "78.6% to 80.2%" in text and "9,461" in text                 # interval and sample size
    assert "suppressed" in text
    assert "provider returns (service users)" in text
    assert "London Assembly review (2013)" in text and "74%" in text     # the real baseline, cited
    assert "Wilson" in text and "fewer than 50 respondents" in text
    assert reader.metadata.title == "Victim satisfaction: quarterly report, 2026Q3"
    assert not list(tmp_path.glob("*.part"))


class _Structure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.captions, self.text = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_structure(tmp_path, capsys):
    out = tmp_path / "q3.html"
    assert main(["satisfaction", "publish", "--quarter", "2026Q3", "--format", "html", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    parser = _Structure()
    parser.feed(page)
    attrs = parser.attrs
    assert ("html", {"lang": "en-GB"}) in attrs
    assert parser.tags.count("h1") == 1 and "h2" in parser.tags
    assert attrs[parser.tags.index("a")][1]["href"] == "#main"           # the skip link comes first
    assert ("main", {"id": "main", "tabindex": "-1"}) in attrs
    assert parser.tags.count("table") == parser.tags.count("caption") >= 5
    assert all(a.get("scope") in ("col", "row") for t, a in attrs if t == "th")
    images = [a for t, a in attrs if t == "img"]
    assert len(images) == 1 and images[0]["src"].startswith("data:image/png;base64,")
    assert images[0]["alt"].startswith("Dot chart of the percentage of victims satisfied")
    assert "http" not in page.split("<body>")[1].replace("https://www.london.gov.uk", "")  # self-contained
    text = " ".join(parser.text)
    assert "ILLUSTRATIVE DATA" in text and "suppressed" in text


def test_html_document_escapes_text():
    doc = Document("<b>Title</b>")
    doc.paragraph('<script>alert("x")</script>')
    doc.table(pd.DataFrame({"Area": ["<i>Hackney</i>"], "n": ["1"]}), caption="a & b", numeric=["n"])
    page = doc.render()
    assert "<script>" not in page and "&lt;script&gt;" in page and "<i>Hackney" not in page
    assert "<caption>a &amp; b</caption>" in page and '<td class="num">1</td>' in page
    with pytest.raises(ValueError):
        doc.figure(b"png", alt=" ")


def test_publication_for_a_quarter_without_results_is_an_input_error(embedded_publication):
    assert embedded_publication.period_end == "2026-09"
    with pytest.raises(InputError, match="no police-survey results for the 12 months to 2025-12"):
        publication.build_publication(publication.load_inputs(), "2025Q4")
    assert publication.quarters(publication.load_inputs().results) == ["2026Q1", "2026Q2", "2026Q3"]


def test_a_published_percentage_without_sample_size_is_shown_without_interval(tmp_path):
    path = write(tmp_path, "r.csv", HEADER + ",reported_pct,basis\nE23000001,Met,2026-09,all,,,74,real\n"
                 "E09000012,Hackney,2026-09,all,300,200,,real\n")
    pub = publication.build_publication(publication.load_inputs(path), "2026Q3")
    assert "74.0% of victims surveyed by the Metropolitan Police" in pub.headline
    assert "no confidence interval" in pub.headline and pub.notes == []
    row = publication.areas_table(pub).iloc[0]
    assert (row["Respondents"], row["95% interval"]) == ("not published", "not available")


@pytest.mark.parametrize("argv", [["--help"], ["satisfaction", "--help"], ["satisfaction", "report", "--help"],
                                  ["satisfaction", "publish", "--help"], ["satisfaction", "trajectory", "--help"]])
def test_help_texts_render(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0 and "usage:" in capsys.readouterr().out
