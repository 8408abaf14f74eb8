"""Demand over time: series validation, Byar intervals, estimated Marac cases, the backtest, the
forecast CLI and need over the contract period. Real MPS files are read in place from
../shared/data/real (see SOURCES.md there); the embedded series in data/series/ were made from them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from commissioning.cli import main
from commissioning.demand.contract import ContractPeriod, contract_need, london_need
from commissioning.demand.forecast import BASELINE, backtest, fit
from commissioning.demand.marac import estimate, largest_remainder, read_force_totals
from commissioning.demand.series import load_series_dir, read_series
from commissioning.demand.trends import HIGHER, LOWER, SIMILAR, compare, trend_table
from commissioning.errors import InputError
from commissioning.needs.assessment import assess
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.rules import load_rules, parse_rules
from commissioning.stats import byar_interval

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "data" / "real"
MPS_VAWG = REAL / "mps_vawg_borough_monthly_201401_202602.csv"
MPS_CRIME = REAL / "MPS_Borough_Level_Crime_202403_202602.csv"
SAFELIVES = REAL / "safelives_marac_london_forces_2018-19_2024-25.csv"
VAWG_SERIES = REPO / "data" / "series" / "mps_vawg_monthly.csv"
CRIME_SERIES = REPO / "data" / "series" / "mps_sexual_offences_monthly.csv"
needs_real = pytest.mark.skipif(not MPS_VAWG.exists(), reason="../shared/data/real not present")

HEADER = "code,name,month,vawg_offences\n"


def write(tmp_path, text: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# --------------------------------------------------------------------------------------------
# series

@pytest.mark.parametrize("body, line, column, words", [
    ("E09000012,Hackney,2025-13,4\n", 2, "month", "not a month"),
    ("E09000012,Hackney,2025-01,4\nE09000012,Hackney,2025-02,-1\n", 3, "vawg_offences", "not a count"),
    ("E09000012,Hackney,2025-01,inf\n", 2, "vawg_offences", "not a count"),
    ("E09000012,Hackney,2025-01,\n", 2, "vawg_offences", "blank count"),
    ("E09000012,Hackney,2025-01,4\nE09000012,Hackney,2025-01,5\n", 3, "month", "appears twice"),
    ("E09000012,Hackney,2025-01,4\nE09000012,Hackney,2025-03,5\n", 3, "month", "no row for 2025-02"),
    ("E09000099,Hackney,2025-01,4\n", 2, "code", "E09000099"),
    (",Hackny,2025-01,4\n", 2, "name", "unknown borough 'Hackny'"),
])
def test_series_errors_name_file_line_and_column(tmp_path, body, line, column, words):
    path = write(tmp_path, HEADER + body)
    with pytest.raises(InputError) as err:
        read_series(path)
    assert err.value.line == line and err.value.column == column and words in str(err.value)
    assert str(path) in str(err.value)


def test_series_refuses_duplicate_headers_and_missing_measures(tmp_path):
    with pytest.raises(InputError, match="duplicate column name") as err:
        read_series(write(tmp_path, "code,name,month,x,x\nE09000012,Hackney,2025-01,1,2\n"))
    assert err.value.line == 1 and err.value.column == "x"
    with pytest.raises(InputError, match="no measure columns"):
        read_series(write(tmp_path, "code,name,month\nE09000012,Hackney,2025-01\n"))


def test_series_reads_names_sorts_and_cuts_at_until(tmp_path):
    path = write(tmp_path, HEADER + "E09000012,Hackney,2025-02,5\nE09000012,Hackney,2025-01,4\n"
                 "E09000001,City,2025-01,1\n")
    series = read_series(path)
    assert series.codes == ["E09000001", "E09000012"]
    assert series.names["E09000001"] == "City"
    assert series.matrix("vawg_offences").loc[pd.Period("2025-02"), "E09000012"] == 5
    assert str(series.until("2025-01").last_month) == "2025-01"
    with pytest.raises(InputError, match="before the first month"):
        series.until("2024-12")


@needs_real
def test_embedded_series_match_the_shared_files():
    vawg = read_series(VAWG_SERIES)
    assert (str(vawg.first_month), str(vawg.last_month), len(vawg.codes)) == ("2014-01", "2026-02", 32)
    shared = pd.read_csv(MPS_VAWG)
    assert vawg.frame["vawg_offences"].sum() == shared["vawg_offences"].sum()
    crime = read_series(CRIME_SERIES)
    assert (str(crime.first_month), str(crime.last_month)) == ("2024-03", "2026-02")
    # Against the wide file itself: the SEXUAL OFFENCES rows of the 32 boroughs, Oct 2024-Sep 2025. (The older
    # snapshot in SOURCES.md section 1 has 26,962 for the same months: the MPS revises recent figures.)
    wide = pd.read_csv(MPS_CRIME)
    wide = wide[(wide["MajorText"] == "SEXUAL OFFENCES") & (wide["BoroughName"] != "Unknown")]
    months = [f"{p.year}{p.month:02d}" for p in pd.period_range("2024-10", "2025-09", freq="M")]
    window = slice(pd.Period("2024-10"), pd.Period("2025-09"))
    assert crime.matrix("sexual_offences").loc[window].to_numpy().sum() == wide[months].to_numpy().sum() == 26923
    rape = wide[wide["MinorText"] == "RAPE"]
    assert crime.matrix("rape_offences").loc[window].to_numpy().sum() == rape[months].to_numpy().sum()
    assert set(load_series_dir(REPO / "data")) == {"vawg_offences", "vawg_victims", "sexual_offences",
                                                   "rape_offences"}


@needs_real
def test_import_series_writes_the_file_and_its_citation_and_keeps_earlier_months(capsys, tmp_data_dir):
    (tmp_data_dir / "series" / "mps_sexual_offences_monthly.csv").unlink()
    code, _, err = cli(capsys, "import", "mps-crime", MPS_CRIME, "--series", "--data", tmp_data_dir)
    assert code == 0, err
    assert "left out non-borough row 'Unknown'" in err
    sources = {s["id"]: s for s in yaml.safe_load((tmp_data_dir / "sources.yaml").read_text())}
    entry = sources["mps_sexual_offences_monthly"]
    assert entry["period"] == "March 2024 to February 2026" and entry["licence"] == "Open Government Licence v2.0"
    # A shorter, later download keeps the earlier months already embedded.
    later = pd.read_csv(MPS_CRIME, dtype=str)
    later = later.drop(columns=[c for c in later.columns if c.isdigit() and c < "202501"])
    newer = tmp_data_dir.parent / "newer.csv"
    later.to_csv(newer, index=False)
    code, _, err = cli(capsys, "import", "mps-crime", newer, "--series", "--data", tmp_data_dir)
    assert code == 0, err
    assert "kept 10 earlier months (2024-03 to 2024-12)" in err
    merged = read_series(tmp_data_dir / "series" / "mps_sexual_offences_monthly.csv")
    assert str(merged.first_month) == "2024-03" and len(merged.frame) == 32 * 24


# --------------------------------------------------------------------------------------------
# trends

def test_byar_interval_against_hand_computation_and_exact_poisson():
    lower, upper = byar_interval([0, 10, 100])
    # O = 10: 10 (1 - 1/90 - 1.959964/(3 sqrt 10))^3 and 11 (1 - 1/99 + 1.959964/(3 sqrt 11))^3
    assert lower[1] == pytest.approx(10 * (1 - 1 / 90 - 1.959964 / (3 * 10 ** 0.5)) ** 3, abs=1e-4)
    assert (round(lower[1], 3), round(upper[1], 3)) == (4.787, 18.391)
    # the exact Poisson limits for O = 100 are 81.364 and 121.627 (chi-square); Byar agrees closely
    assert lower[2] == pytest.approx(81.364, abs=0.01) and upper[2] == pytest.approx(121.627, abs=0.01)
    assert lower[0] == 0 and upper[0] == pytest.approx(3.689, abs=0.03)  # exact: 3.689
    with pytest.raises(ValueError):
        byar_interval([-1])


def test_compare_with_london():
    assert list(compare([11, 8, 5], [14, 12, 9], 10)) == [HIGHER, SIMILAR, LOWER]


def test_trend_table_rates_and_london(tmp_path):
    rows = [f"E09000012,Hackney,2025-{m:02d},10" for m in range(1, 13)]
    rows += [f"E09000002,Barking and Dagenham,2025-{m:02d},1" for m in range(1, 13)]
    series = read_series(write(tmp_path, HEADER + "\n".join(rows) + "\n"))
    population = pd.Series({"E09000012": 100_000, "E09000002": 100_000})
    table = trend_table(series, "vawg_offences", population).set_index("code")
    assert table.at["E09000012", "count"] == 120 and table.at["E09000012", "rate"] == 120
    assert table.at["London", "rate"] == pytest.approx(132 / 2)  # 132 offences per 200,000 residents
    assert table.at["E09000012", "vs_london"] == HIGHER and table.at["E09000002", "vs_london"] == LOWER


# --------------------------------------------------------------------------------------------
# estimated Marac cases

def test_largest_remainder_by_hand():
    # quotas 3.5, 2.1, 1.4: floors 3, 2, 1 leave one case, which goes to the largest remainder (0.5)
    assert list(largest_remainder(7, [0.5, 0.3, 0.2])) == [4, 2, 1]
    assert list(largest_remainder(10, [1, 1, 1])) == [4, 3, 3]  # a tie goes to the earlier
    assert largest_remainder(16585, np.random.default_rng(1).random(32)).sum() == 16585
    with pytest.raises(ValueError):
        largest_remainder(5, [0, 0])


def test_embedded_marac_estimates_sum_to_the_safelives_force_totals_and_are_labelled_estimated():
    ds = load_dataset()
    marac = ds.demand.loc[ds.demand["measure"] == "marac_cases"].set_index("code")
    assert marac.loc[marac.index != "E09000001", "value"].sum() == 16585  # Metropolitan Police 2024-25
    assert marac.at["E09000001", "value"] == 10  # City of London Police 2024-25
    assert (marac["value"] == marac["value"].round()).all()
    assert marac["estimated"].all() and not marac["illustrative"].any()
    assert "demand:marac_cases" in ds.estimated and "demand:marac_cases" not in ds.illustrative
    source = next(s for s in ds.sources if s["id"] == "safelives_marac_estimate")
    assert source["estimated"] is True and "largest-remainder" in source["note"]


@needs_real
def test_marac_estimate_from_the_shared_files_is_proportional_to_vawg():
    totals = read_force_totals(SAFELIVES, "2024-25")
    assert {t.force: t.cases for t in totals} == {"City of London": 10, "Metropolitan Police": 16585}
    vawg = read_series(VAWG_SERIES).matrix("vawg_offences").loc["2024-04":"2025-03"].sum()
    table = estimate(totals, vawg).set_index("code")
    quota = 16585 * vawg / vawg.sum()
    assert (table.loc[vawg.index, "estimate"] - quota).abs().max() < 1
    with pytest.raises(InputError, match="no base figure for E09000012"):
        estimate(totals, vawg.drop("E09000012"))


def test_estimated_and_illustrative_together_is_refused(tmp_data_dir):
    path = tmp_data_dir / "demand.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame["measure"] == "marac_cases", "illustrative"] = "true"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match="both illustrative and estimated") as err:
        load_dataset(tmp_data_dir)
    assert err.value.column == "estimated"


def test_assess_marks_estimated_figures(capsys):
    code, out, _ = cli(capsys, "assess", "--model", "idva=caseload")
    assert code == 0 and "ESTIMATED FIGURES: Marac cases (all authorities)" in out
    code, out, err = cli(capsys, "assess", "--format", "csv")
    assert out.splitlines()[0] == "code,name,service,provision,need,shortfall,coverage_pct,status"
    assert "ESTIMATED FIGURES" in err


# --------------------------------------------------------------------------------------------
# forecasts and the backtest

@needs_real
def test_backtest_from_a_fixed_origin_beats_seasonal_naive_on_the_median_borough():
    series = read_series(VAWG_SERIES)
    result = backtest(series, "vawg_offences", origins=1, last_origin="2024-02")
    assert result.origins == (pd.Period("2024-02", "M"),) and result.horizon == 12
    summary = result.summary().set_index("model")
    assert result.chosen != BASELINE
    assert summary.at[result.chosen, "median_relative_mae"] < 1
    assert summary.at[BASELINE, "median_relative_mae"] == 1


def test_a_backtest_is_kept_on_disk_for_the_next_process(tmp_path, monkeypatch):
    from commissioning.demand import forecast as fc

    monkeypatch.setenv(fc.CACHE_ENV, str(tmp_path))
    series = read_series(CRIME_SERIES)
    first = backtest(series, "sexual_offences", origins=1)
    assert len(list((tmp_path / "backtests").glob("*.json"))) == 1
    fc._BACKTESTS.clear()                                       # a new process: memory is empty
    monkeypatch.setattr(fc, "_backtest", lambda *a, **k: pytest.fail("refitted instead of reading the disk"))
    again = backtest(series, "sexual_offences", origins=1)
    assert (again.chosen, again.origins, again.horizon, again.scales) == (
        first.chosen, first.origins, first.horizon, first.scales)
    pd.testing.assert_frame_equal(again.relative, first.relative, check_names=False)
    pd.testing.assert_frame_equal(again.coverage80, first.coverage80, check_names=False)
    assert again.describe() == first.describe()
    fc._BACKTESTS.clear()
    with pytest.raises(pytest.fail.Exception):                  # other arguments: not the cached result
        backtest(series, "sexual_offences", origins=1, horizon=6)


def test_seasonal_naive_by_hand():
    y = np.array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 12, 22, 32, 42, 52, 62, 72, 82, 92, 102,
                  112, 122], dtype=float)
    out = fit(y, BASELINE).forecast(13)
    assert list(out["forecast"][:12]) == list(y[12:]) and out["forecast"].iloc[12] == 12
    sigma = 2.0  # every seasonal difference is 2
    assert out["upper95"].iloc[0] == pytest.approx(12 + 1.959964 * sigma, abs=1e-5)
    assert out["upper95"].iloc[12] == pytest.approx(12 + 1.959964 * sigma * 2 ** 0.5, abs=1e-5)  # second year
    wide = fit(y, BASELINE).forecast(13, scale=1.5)  # widened about the same central forecast
    assert list(wide["forecast"]) == list(out["forecast"])
    assert wide["upper80"].iloc[0] == pytest.approx(12 + 1.281552 * sigma * 1.5, abs=1e-5)


def test_interval_widening_is_the_80th_percentile_of_past_errors_in_half_widths(tmp_path):
    """Each borough records 100 a month in 2023, 102 in 2024 and 112 in 2025. From the origin
    2024-12 seasonal naive forecasts 102 with sigma 2 (every seasonal difference so far is 2), so
    its 80% interval is 102 +- 1.2816 x 2 and misses all twelve months of 2025 by 10: the intervals
    must widen 10 / 2.563 = 3.90 times to hold them."""
    rows = []
    for code in ("E09000012", "E09000002", "E09000003"):
        values = [100 + (2 if (m // 12) % 2 else 0) for m in range(24)] + [112] * 12
        rows += [f"{code},x,{p},{v}" for p, v in zip(pd.period_range("2023-01", periods=36, freq="M"), values)]
    series = read_series(write(tmp_path, HEADER + "\n".join(rows) + "\n"))
    result = backtest(series, "vawg_offences", origins=1, models=(BASELINE,))
    assert result.origins == (pd.Period("2024-12", "M"),)
    assert result.coverage80[BASELINE].mean() == 0
    assert result.scale == pytest.approx(10 / (1.2815516 * 2), rel=1e-4)
    assert "widened 3.90 times" in result.describe()


@needs_real
def test_forecast_cli_csv_columns_rows_and_until(capsys, tmp_path):
    out_file = tmp_path / "f.csv"
    code, _, err = cli(capsys, "forecast", "--series", VAWG_SERIES, "--measure", "vawg_offences",
                       "--until", "2025-06", "--horizon", "2", "--model", "seasonal_naive", "--format", "csv",
                       "--out", out_file)
    assert code == 0, err
    assert "ESTIMATED" in err
    table = pd.read_csv(out_file, dtype={"month": str})
    assert list(table.columns) == ["code", "month", "forecast", "lower80", "upper80", "lower95", "upper95"]
    assert len(table) == 32 * 2 and set(table["month"]) == {"2025-07", "2025-08"}
    shared = pd.read_csv(VAWG_SERIES, dtype={"month": str}).set_index(["code", "month"])["vawg_offences"]
    hackney = table.set_index(["code", "month"]).loc[("E09000012", "2025-07")]
    assert hackney["forecast"] == shared[("E09000012", "2024-07")]  # same month a year before --until
    assert (table["lower95"] <= table["lower80"]).all() and (table["upper80"] <= table["upper95"]).all()


def test_forecast_cli_errors(capsys, tmp_path):
    code, _, err = cli(capsys, "forecast", "--series", VAWG_SERIES, "--measure", "nope", "--horizon", "3")
    assert code == 2 and "column 'nope'" in err and "Traceback" not in err
    code, _, err = cli(capsys, "forecast", "--series", VAWG_SERIES, "--measure", "vawg_offences", "--horizon", "0")
    assert code == 2 and "--horizon" in err
    short = write(tmp_path, HEADER + "E09000012,Hackney,2025-01,4\n")
    code, _, err = cli(capsys, "forecast", "--series", short, "--measure", "vawg_offences", "--horizon", "3",
                       "--model", "seasonal_naive")
    assert code == 2 and "needs more history than 1 months" in err and "13 to 36 months of history" in err


def _monthly(rows: dict[tuple[str, str], range], value=lambda i: 40 + i % 12) -> str:
    """A series file: {(code, name): indexes of months from 2020-01 it has a figure for}."""
    months = pd.period_range("2020-01", periods=60, freq="M")
    return HEADER + "".join(f"{code},{name},{months[i]},{value(i)}\n" for (code, name), span in rows.items()
                            for i in span)


def test_a_borough_that_ends_early_is_forecast_from_its_own_last_month(capsys, tmp_path):
    """Issue 22: Camden's figures stop at 2022-12 (36 months), Hackney's at 2023-12; each forecast
    starts the month after its own last one (Camden's was labelled 2024-01 before)."""
    path = write(tmp_path, _monthly({("E09000012", "Hackney"): range(48), ("E09000007", "Camden"): range(36)}))
    code, out, _ = cli(capsys, "forecast", "--series", path, "--measure", "vawg_offences", "--horizon", "2",
                       "--model", "seasonal_naive", "--format", "csv")
    table = pd.read_csv(io.StringIO(out))
    months = table.groupby("code")["month"].apply(list).to_dict()
    assert code == 0 and months == {"E09000007": ["2023-01", "2023-02"], "E09000012": ["2024-01", "2024-02"]}
    # seasonal naive repeats the same month a year before: 2022-01 is month index 24, 40 + 24 % 12 = 40
    assert table.loc[table["code"] == "E09000007", "forecast"].tolist() == [40, 41]


def test_ragged_start_and_all_zero_series_give_plain_messages(capsys, tmp_path):
    late = write(tmp_path, _monthly({("E09000012", "Hackney"): range(48), ("E09000007", "Camden"): range(20, 48)}),
                 "late.csv")
    code, out, err = cli(capsys, "forecast", "--series", late, "--measure", "vawg_offences", "--horizon", "2")
    assert code == 0, err           # the backtest compares models over the 28 months both have
    later = write(tmp_path, _monthly({("E09000012", "Hackney"): range(48), ("E09000007", "Camden"): range(30, 48)}),
                  "later.csv")
    code, out, err = cli(capsys, "forecast", "--series", later, "--measure", "vawg_offences", "--horizon", "2")
    assert code == 2 and "18 months are too few for a backtest (need at least 19)" in err
    zero = write(tmp_path, _monthly({("E09000012", "Hackney"): range(48)}, value=lambda i: 0), "zero.csv")
    code, _, err = cli(capsys, "forecast", "--series", zero, "--measure", "vawg_offences", "--horizon", "2")
    assert code == 2 and "every figure is 0, so there is no pattern to forecast from" in err
    assert "NA values" not in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------
# need over the contract period

def test_rules_contract_period_is_validated():
    rules = load_rules()
    assert rules.timetable["contract_start"].isoformat() == "2027-10-01"
    assert (rules.contract_years, rules.extension_years) == (3, 2)
    raw = dict(rules.raw)
    raw.pop("contract")
    with pytest.raises(InputError, match="needs both timetable.contract_start and contract.years"):
        parse_rules(raw)
    bad = {**rules.raw, "contract": {"years": 0}}
    with pytest.raises(InputError, match="contract"):
        parse_rules(bad)
    early = {**rules.raw, "timetable": {**rules.raw["timetable"], "contract_start": "2027-08-01"}}
    with pytest.raises(InputError, match="before award"):
        parse_rules(early)


def test_contract_need_by_hand_on_a_flat_series(tmp_path):
    """Every borough records exactly 35 sexual offences a month: seasonal naive forecasts 35 a month
    with no spread, so ISVA need = 12 x 35 x 35% / 75 in every contract year."""
    ds = load_dataset()
    codes = [c for c in ds.population["code"] if c != "E09000001"]
    rows = [f"{c},x,{p},35" for c in codes for p in pd.period_range("2024-03", "2026-02", freq="M")]
    series = read_series(write(tmp_path, "code,name,month,sexual_offences\n" + "\n".join(rows) + "\n"))
    contract = ContractPeriod(pd.Period("2027-10", "M"), 3, 1)
    table = contract_need(ds, {"sexual_offences": series}, {"sexual_offences": BASELINE}, contract, assess(ds))
    isva = table.loc[(table["service"] == "isva") & (table["code"] == "E09000012")]
    assert list(isva["year"]) == [1, 2, 3, 4] and list(isva["extension"]) == [False, False, False, True]
    assert isva["need"].to_numpy() == pytest.approx(12 * 35 * 0.35 / 75)
    assert isva["need_upper95"].to_numpy() == pytest.approx(12 * 35 * 0.35 / 75)
    city = table.loc[(table["service"] == "isva") & (table["code"] == "E09000001")]
    assert city["basis"].iloc[0].startswith("held flat (no monthly series")
    refuge = table.loc[table["service"] == "refuge"]
    assert (refuge["basis"] == "held flat (rate per population)").all()
    totals = london_need(table)
    assert len(totals) == len(ds.service_types) * 4
    # A year that straddles the last recorded month, on a series of 30 + the calendar month: Oct 2025 -
    # Sep 2026 is 5 recorded months (40, 41, 42, 31, 32) and 7 forecast ones (33 ... 39): 438 in all.
    rows = [f"{c},x,{p},{30 + p.month}" for c in codes for p in pd.period_range("2024-03", "2026-02", freq="M")]
    seasonal = read_series(write(tmp_path, "code,name,month,sexual_offences\n" + "\n".join(rows) + "\n", "s2.csv"))
    early = ContractPeriod(pd.Period("2025-10", "M"), 1)
    table = contract_need(ds, {"sexual_offences": seasonal}, {"sexual_offences": BASELINE}, early, assess(ds))
    hackney = table.loc[(table["service"] == "isva") & (table["code"] == "E09000012"), "need"]
    assert hackney.to_numpy() == pytest.approx([438 * 0.35 / 75])


def test_assess_period_contract_csv(capsys, tmp_path):
    out_file = tmp_path / "c.csv"
    code, _, err = cli(capsys, "assess", "--period", "contract", "--format", "csv", "--out", out_file)
    assert code == 0, err
    assert "ESTIMATED" in err and "Model: sexual_offences" in err
    table = pd.read_csv(out_file)
    assert list(table.columns) == ["code", "name", "service", "year", "first_month", "last_month", "extension",
                                   "basis", "need", "need_lower80", "need_upper80", "need_lower95", "need_upper95",
                                   "provision"]
    isva = table.loc[(table["service"] == "isva") & (table["code"] == "E09000012")]
    assert len(isva) == 5
    assert (isva["need_lower95"] <= isva["need"]).all() and (isva["need"] <= isva["need_upper95"]).all()
    assert (isva["need_upper95"].diff().dropna() > 0).all()  # the range widens with the horizon


def test_contract_need_central_figure_is_the_mean_of_the_paths(tmp_path):
    """Issue 24: on log-scale ETS paths the median runs below the mean (and medians do not add up to
    London's); the published central figure is the paths' mean, the ranges their quantiles."""
    from commissioning.demand.contract import year_sums

    ds = load_dataset()
    codes = [c for c in ds.population["code"] if c != "E09000001"]
    rng = np.random.default_rng(7)
    rows = [f"{c},x,{p},{int(rng.poisson(12 + i % 5))}" for i, c in enumerate(codes)
            for p in pd.period_range("2019-03", "2026-02", freq="M")]
    series = read_series(write(tmp_path, "code,name,month,sexual_offences\n" + "\n".join(rows) + "\n"))
    contract = ContractPeriod(pd.Period("2027-10", "M"), 1)
    table = contract_need(ds, {"sexual_offences": series}, {"sexual_offences": "ets_level"}, contract, assess(ds))
    sums = year_sums(series, "sexual_offences", "ets_level", contract)["E09000012"][:, 0] * 0.35 / 75
    hackney = table.loc[(table["service"] == "isva") & (table["code"] == "E09000012")].iloc[0]
    assert hackney["need"] == pytest.approx(sums.mean())
    assert np.median(sums) < sums.mean()             # log-scale paths are skewed: the median would run low
    assert hackney["need_lower80"] == pytest.approx(np.quantile(sums, 0.1))
