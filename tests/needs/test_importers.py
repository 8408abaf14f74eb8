"""Importers: the real MPS / ONS files in ../shared/data/real (read in place, never copied: see
SOURCES.md there) and small synthetic inputs for every error path."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.cli import main
from commissioning.needs.dataset import load_dataset
from commissioning.needs.importers import DemandUpdate, merge_demand

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
MPS_CRIME = REAL / "MPS_Borough_Level_Crime_202403_202602.csv"
MPS_VAWG = REAL / "mps_vawg_borough_monthly_201401_202602.csv"
VAWG_12M = REAL / "mps_vawg_borough_12m.csv"
ONS_MYE = REAL / "population_ons_mye_2021_2024_borough.csv"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "needs"

needs_real = pytest.mark.skipif(not MPS_CRIME.exists(), reason="../shared/data/real not present")


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(["import", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def demand_rows(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "demand.csv", dtype=str, keep_default_na=False)


def value(frame: pd.DataFrame, code: str, measure: str) -> str:
    rows = frame[(frame["code"] == code) & (frame["measure"] == measure)]
    assert len(rows) == 1, (code, measure)
    return rows.iloc[0]


def sources(data_dir: Path) -> dict[str, dict]:
    """sources.yaml of ``data_dir`` by id (read with plain yaml, not the code under test)."""
    return {s["id"]: s for s in yaml.safe_load((data_dir / "sources.yaml").read_text(encoding="utf-8"))}


# The embedded data/sources.yaml, before any import.
ORIGINAL_SOURCES = sources(Path(__file__).resolve().parents[2] / "data")


# ------------------------------------------------------------------ mps-crime on the real file

@needs_real
def test_mps_crime_real_file_default_window(capsys, tmp_data_dir):
    before = demand_rows(tmp_data_dir)
    code, _, err = run_cli(capsys, "mps-crime", MPS_CRIME, "--months", "12", "--data", tmp_data_dir)
    assert code == 0, err
    assert "months 2025-03 to 2026-02" in err and "'Unknown'" in err
    after = demand_rows(tmp_data_dir)
    # Hackney, the 12 month cells 202503..202602 of the file:
    #   RAPE                  35+22+23+34+17+24+45+30+31+21+17+20 = 319
    #   OTHER SEXUAL OFFENCES 55+48+47+60+68+60+52+56+36+49+39+36 = 606
    hackney = value(after, "E09000012", "sexual_offences")
    assert hackney["value"] == "925"  # 319 + 606
    assert hackney["period"] == "2025-03/2026-02"
    assert hackney["illustrative"].lower() == "false"
    assert "OGL" in hackney["source"] or "Open Government Licence" in hackney["source"]
    assert value(after, "E09000012", "rape_offences")["value"] == "319"
    # Westminster RAPE 24+42+38+57+41+40+36+36+24+33+21+40 = 432; OTHER 91+109+109+91+123+126+90+81+74+112+103+69 = 1178
    assert value(after, "E09000033", "sexual_offences")["value"] == "1610"  # 432 + 1178
    # The City of London is not in MPS data: its existing (illustrative) rows are kept as they were.
    for measure in ("sexual_offences", "rape_offences"):
        pd.testing.assert_series_equal(value(after, "E09000001", measure), value(before, "E09000001", measure))
    # Other measures untouched, same row count and order.
    others = ~before["measure"].isin(["sexual_offences", "rape_offences"])
    pd.testing.assert_frame_equal(after[others], before[others])
    assert len(after) == len(before)
    ds = load_dataset(tmp_data_dir)
    assert "demand:sexual_offences" in ds.illustrative  # only the City row keeps the flag
    flagged = ds.demand.loc[ds.demand["illustrative"] & (ds.demand["measure"] == "sexual_offences"), "code"]
    assert flagged.tolist() == ["E09000001"]


@needs_real
def test_mps_crime_updates_its_citation(capsys, tmp_data_dir):
    before_text = (tmp_data_dir / "sources.yaml").read_text(encoding="utf-8")
    assert run_cli(capsys, "mps-crime", MPS_CRIME, "--data", tmp_data_dir)[0] == 0
    # The window, worked out here from the file's own header: the 12 latest YYYYMM columns.
    with MPS_CRIME.open(encoding="utf-8-sig") as f:
        months = sorted(c for c in next(csv.reader(f)) if len(c) == 6 and c.isdigit())[-12:]
    first, last = (dt.date(int(m[:4]), int(m[4:]), 1).strftime("%B %Y") for m in (months[0], months[-1]))
    assert f"{first} to {last}" == "March 2025 to February 2026"  # the file runs 202403..202602
    entry = sources(tmp_data_dir)["mps_sexual_offences"]
    assert entry["period"] == f"{first} to {last}"
    assert ORIGINAL_SOURCES["mps_sexual_offences"]["period"] == "October 2024 to September 2025"  # was stale
    assert entry["illustrative"] is False
    assert entry["licence"] == "Open Government Licence v2.0"
    assert entry["publisher"] == "Metropolitan Police Service via the London Datastore"
    assert entry["file"] == MPS_CRIME.name and MPS_CRIME.name in entry["note"]
    assert "32 of 33 authorities" in entry["note"] and "City of London Police" in entry["note"]
    # The City rows kept their illustrative placeholders, so the illustrative source now names them.
    assert sources(tmp_data_dir)["illustrative_demand"]["used_in"] == (
        "data/demand.csv (domestic_abuse_offences; sexual_offences, rape_offences: "
        "City of London only)")
    # Sources the import does not concern are unchanged, and the comment at the top is kept.
    for sid in ("census2021", "lambeth_refuge", "boundaries", "illustrative_services"):
        assert sources(tmp_data_dir)[sid] == ORIGINAL_SOURCES[sid]
    after_text = (tmp_data_dir / "sources.yaml").read_text(encoding="utf-8")
    assert after_text.splitlines()[0] == before_text.splitlines()[0]
    assert after_text.splitlines()[0].startswith("# ")
    # What the needs assessment lists (its data appendix and cover read Dataset.sources).
    ds_sources = {s["id"]: s for s in load_dataset(tmp_data_dir).sources}
    assert ds_sources["mps_sexual_offences"]["period"] == "March 2025 to February 2026"
    assert ds_sources["mps_sexual_offences"]["illustrative"] is False


@needs_real
def test_mps_crime_end_month_and_out_file(capsys, tmp_data_dir, tmp_path):
    original = (tmp_data_dir / "demand.csv").read_bytes()
    original_sources = (tmp_data_dir / "sources.yaml").read_bytes()
    out = tmp_path / "new_demand.csv"
    code, _, err = run_cli(capsys, "mps-crime", MPS_CRIME, "--end", "202509", "--months", "3",
                           "--data", tmp_data_dir, "--out", out)
    assert code == 0, err
    assert (tmp_data_dir / "demand.csv").read_bytes() == original  # --out leaves DIR alone
    assert (tmp_data_dir / "sources.yaml").read_bytes() == original_sources  # ... and its citations
    assert "sources.yaml not updated" in err
    rows = pd.read_csv(out, dtype=str, keep_default_na=False)
    # Hackney 202507..202509: RAPE 17+24+45 = 86; OTHER 68+60+52 = 180
    assert value(rows, "E09000012", "rape_offences")["value"] == "86"
    assert value(rows, "E09000012", "sexual_offences")["value"] == "266"
    assert value(rows, "E09000012", "sexual_offences")["period"] == "2025-07/2025-09"


@needs_real
def test_mps_crime_dry_run_writes_nothing(capsys, tmp_data_dir):
    original = (tmp_data_dir / "demand.csv").read_bytes()
    original_sources = (tmp_data_dir / "sources.yaml").read_bytes()
    code, out, err = run_cli(capsys, "mps-crime", MPS_CRIME, "--data", tmp_data_dir, "--dry-run")
    assert code == 0
    assert (tmp_data_dir / "demand.csv").read_bytes() == original
    assert (tmp_data_dir / "sources.yaml").read_bytes() == original_sources
    assert ("sources.yaml: mps_sexual_offences period 'October 2024 to September 2025' -> "
            "'March 2025 to February 2026'") in out
    assert "E09000012 Hackney" in out and "972 (2024-10/2025-09) -> 925 (2025-03/2026-02)" in out
    assert "not written" in err


@needs_real
def test_mps_crime_window_longer_than_file(capsys, tmp_data_dir):
    original = (tmp_data_dir / "demand.csv").read_bytes()
    code, _, err = run_cli(capsys, "mps-crime", MPS_CRIME, "--months", "25", "--data", tmp_data_dir)
    assert code == 2
    assert MPS_CRIME.name in err and "25-month window 2024-02 to 2026-02" in err and "missing 2024-02" in err
    assert (tmp_data_dir / "demand.csv").read_bytes() == original
    assert (tmp_data_dir / "sources.yaml").read_bytes() == (Path(__file__).resolve().parents[2] / "data" / "sources.yaml"
                                                             ).read_bytes()


# ------------------------------------------------------------------ mps-crime errors (synthetic)

def write_mps(path: Path, months=("202401", "202402", "202403"), cell=lambda borough, minor, month: "1",
              boroughs=None, header=("MajorText", "MinorText", "BoroughName")) -> Path:
    boroughs = boroughs or [n for c, n in LONDON_AUTHORITIES.items() if c != "E09000001"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*header, *months])
        for borough in boroughs:
            writer.writerow(["BURGLARY", "BURGLARY - RESIDENTIAL", borough, *["x"] * len(months)])
            for minor in ("OTHER SEXUAL OFFENCES", "RAPE"):
                writer.writerow(["SEXUAL OFFENCES", minor, borough, *(cell(borough, minor, m) for m in months)])
    return path


def test_mps_crime_sums_and_skips_non_borough_rows(capsys, tmp_data_dir, tmp_path):
    boroughs = [n for c, n in LONDON_AUTHORITIES.items() if c != "E09000001"] + [
        "Unknown", "London Heathrow and London City Airports"]
    # every cell 1, except Hackney RAPE = month number (1, 2, 3) and the non-borough rows = 50
    def cell(borough, minor, month):
        if borough in ("Unknown", "London Heathrow and London City Airports"):
            return "50"
        return str(int(month[-2:])) if (borough, minor) == ("Hackney", "RAPE") else "1"
    f = write_mps(tmp_path / "mps.csv", cell=cell, boroughs=boroughs)
    code, _, err = run_cli(capsys, "mps-crime", f, "--months", "2", "--data", tmp_data_dir)
    assert code == 0, err
    rows = demand_rows(tmp_data_dir)
    # window 2024-02..2024-03: Hackney rape 2 + 3 = 5; other 1 + 1 = 2; sexual = 7
    assert value(rows, "E09000012", "rape_offences")["value"] == "5"
    assert value(rows, "E09000012", "sexual_offences")["value"] == "7"
    # Barnet: 1 + 1 rape, 1 + 1 other = 4
    assert value(rows, "E09000003", "sexual_offences")["value"] == "4"
    # the non-borough rows: 2 rows x 2 months x 50 = 200 each, reported, not imported
    assert "'Unknown': 200" in err and "'London Heathrow and London City Airports': 200" in err
    # burglary cells are "x" but are not read
    assert load_dataset(tmp_data_dir).demand is not None


def test_mps_crime_city_without_existing_row_is_blank(capsys, tmp_data_dir, tmp_path):
    # rape_offences is a new measure, so the City of London has no existing row to keep (a
    # demand.csv with the measure but without the City's row is refused as incomplete)
    demand = demand_rows(tmp_data_dir)
    demand = demand[demand["measure"] != "rape_offences"]
    demand.to_csv(tmp_data_dir / "demand.csv", index=False)
    code, _, err = run_cli(capsys, "mps-crime", write_mps(tmp_path / "mps.csv"), "--data", tmp_data_dir,
                           "--months", "3")
    assert code == 0, err
    city = value(demand_rows(tmp_data_dir), "E09000001", "rape_offences")
    assert city["value"] == ""
    assert "City of London Police" in city["note"]
    ds = load_dataset(tmp_data_dir)
    rape = ds.demand.loc[ds.demand["measure"] == "rape_offences"].set_index("code")["value"]
    # every cell is 1: Barking and Dagenham RAPE 1 + 1 + 1 = 3 over the 3 months
    assert pd.isna(rape["E09000001"]) and rape["E09000002"] == 3.0


@pytest.mark.parametrize("case, message", [
    ("missing_column", "column 'BoroughName'"),
    ("non_numeric", "line 6, column '202402': 'n/a' is not a count"),
    ("misspelt", "line 33, column 'BoroughName': unknown borough 'Hackny'"),
    ("missing_borough", "no SEXUAL OFFENCES rows for E09000012 Hackney"),
    ("duplicate", "line 99, column 'MinorText': OTHER SEXUAL OFFENCES for Barnet appears twice (first on line 6)"),
])
def test_mps_crime_bad_input(capsys, tmp_data_dir, tmp_path, case, message):
    path = tmp_path / f"{case}.csv"
    boroughs = [n for c, n in LONDON_AUTHORITIES.items() if c != "E09000001"]
    if case == "missing_column":
        write_mps(path, header=("MajorText", "MinorText", "Borough"))
    elif case == "non_numeric":
        # rows: 1 header, then per borough 3 rows: Barking (2-4), Barnet (5-7): Barnet OTHER is line 6
        write_mps(path, cell=lambda b, m, mo: "n/a" if (b, m, mo) == ("Barnet", "OTHER SEXUAL OFFENCES", "202402")
                  else "1")
    elif case == "misspelt":
        # Hackney is the 11th borough (Barking .. Greenwich, Hackney): its rows start at line
        # 2 + 3 x 10 = 32 (burglary), so OTHER SEXUAL OFFENCES is line 33
        write_mps(path, boroughs=[b if b != "Hackney" else "Hackny" for b in boroughs])
    elif case == "missing_borough":
        write_mps(path, boroughs=[b for b in boroughs if b != "Hackney"])
    else:
        # 32 boroughs x 3 rows fill lines 2..97; the second Barnet block is 98 (burglary), 99, 100
        write_mps(path, boroughs=boroughs + ["Barnet"])
    original = (tmp_data_dir / "demand.csv").read_bytes()
    original_sources = (tmp_data_dir / "sources.yaml").read_bytes()
    code, _, err = run_cli(capsys, "mps-crime", path, "--data", tmp_data_dir, "--months", "3")
    assert code == 2
    assert str(path) in err and message in err
    assert "Traceback" not in err
    assert (tmp_data_dir / "demand.csv").read_bytes() == original
    assert (tmp_data_dir / "sources.yaml").read_bytes() == original_sources
    assert not list(tmp_data_dir.glob("*.part"))


def test_bad_sources_yaml_stops_the_whole_import(capsys, tmp_data_dir, tmp_path):
    # The table is fine but the citations cannot be updated: neither file may change.
    (tmp_data_dir / "sources.yaml").write_text("- id: a\n  name: [unclosed\n", encoding="utf-8")
    original = (tmp_data_dir / "demand.csv").read_bytes()
    original_sources = (tmp_data_dir / "sources.yaml").read_bytes()
    code, _, err = run_cli(capsys, "mps-crime", write_mps(tmp_path / "mps.csv"), "--months", "3",
                           "--data", tmp_data_dir)
    assert code == 2 and "sources.yaml" in err and "not valid YAML" in err and "Traceback" not in err
    assert (tmp_data_dir / "demand.csv").read_bytes() == original
    assert (tmp_data_dir / "sources.yaml").read_bytes() == original_sources
    assert not list(tmp_data_dir.glob("*.part"))


def test_import_without_sources_yaml_creates_one(capsys, tmp_data_dir, tmp_path):
    (tmp_data_dir / "sources.yaml").unlink()
    code, _, err = run_cli(capsys, "mps-crime", write_mps(tmp_path / "mps.csv"), "--months", "2",
                           "--data", tmp_data_dir)
    assert code == 0, err
    # write_mps months 202401..202403; the last 2 are February and March 2024
    assert sources(tmp_data_dir)["mps_sexual_offences"]["period"] == "February 2024 to March 2024"
    assert list(sources(tmp_data_dir)) == ["mps_sexual_offences"]  # no other entry is invented
    assert (tmp_data_dir / "sources.yaml").read_text(encoding="utf-8").startswith("# ")


def test_bad_months_option(capsys, tmp_data_dir, tmp_path):
    f = write_mps(tmp_path / "mps.csv")
    assert run_cli(capsys, "mps-crime", f, "--months", "0", "--data", tmp_data_dir)[0] == 2
    code, _, err = run_cli(capsys, "mps-crime", f, "--end", "2024-13", "--data", tmp_data_dir)
    assert code == 2 and "'2024-13' is not a month" in err


# ------------------------------------------------------------------ mps-vawg on the real file

@needs_real
def test_mps_vawg_matches_published_12_month_sums(capsys, tmp_data_dir):
    code, _, err = run_cli(capsys, "mps-vawg", MPS_VAWG, "--months", "12", "--data", tmp_data_dir)
    assert code == 0, err
    rows = demand_rows(tmp_data_dir)
    # Hackney 2025-03..2026-02 offences: 357+315+385+387+414+415+379+365+331+326+346+287 = 4307
    assert value(rows, "E09000012", "vawg_offences")["value"] == "4307"
    # Independent check against the 12-month file made from the same source by another route.
    twelve = pd.read_csv(VAWG_12M, dtype=str, keep_default_na=False).set_index("code")
    for measure in ("vawg_offences", "vawg_victims"):
        got = rows[rows["measure"] == measure].set_index("code")["value"]
        expected = twelve[f"{measure}_2025_03_to_2026_02"]
        assert got.reindex(expected.index).tolist() == expected.tolist()
    assert value(rows, "E09000001", "vawg_offences")["value"] == ""  # City of London: no figure
    # without --as-domestic-abuse the illustrative domestic-abuse rows stay as they were
    assert value(rows, "E09000012", "domestic_abuse_offences")["illustrative"] == "True"
    load_dataset(tmp_data_dir)


@needs_real
def test_mps_vawg_as_domestic_abuse_proxy(capsys, tmp_data_dir):
    code, _, err = run_cli(capsys, "mps-vawg", MPS_VAWG, "--end", "2025-02", "--data", tmp_data_dir,
                           "--as-domestic-abuse")
    assert code == 0, err
    rows = demand_rows(tmp_data_dir)
    twelve = pd.read_csv(VAWG_12M, dtype=str, keep_default_na=False).set_index("code")
    hackney = value(rows, "E09000012", "domestic_abuse_offences")
    assert hackney["value"] == twelve.at["E09000012", "vawg_offences_2024_03_to_2025_02"] == "4052"
    assert hackney["illustrative"] == "false" and "VAWG proxy" in hackney["note"]
    assert hackney["period"] == "2024-03/2025-02"
    # the City keeps its illustrative placeholder
    assert value(rows, "E09000001", "domestic_abuse_offences")["illustrative"] == "True"
    ds = load_dataset(tmp_data_dir)
    notes = " ".join(ds.illustrative_notes())
    assert "domestic abuse offences (City of London)" in notes
    entry = sources(tmp_data_dir)["mps_vawg"]  # a new source, 2024-03..2025-02 by --end
    assert entry["period"] == "March 2024 to February 2025" and entry["illustrative"] is False
    assert entry["licence"] == "Open Government Licence v2.0" and "domestic_abuse_offences" in entry["used_in"]
    assert "proxy" in entry["note"]
    # domestic_abuse_offences is real now except the City: the illustrative source says so (and still
    # lists the City's sexual-offence placeholders of the default data; marac_cases are estimated).
    assert sources(tmp_data_dir)["illustrative_demand"]["used_in"] == (
        "data/demand.csv (sexual_offences, rape_offences, domestic_abuse_offences: City of London only)")


def test_illustrative_demand_source_dropped_when_no_illustrative_rows_are_left(tmp_data_dir):
    # Every authority, every measure of the default demand.csv, all real: nothing is illustrative.
    values = {m: dict.fromkeys(LONDON_AUTHORITIES, 5.0)
              for m in ("sexual_offences", "rape_offences", "domestic_abuse_offences", "marac_cases")}
    update = DemandUpdate(values=values, period="2025-01/2025-12", source="local figures",
                          row_notes=dict.fromkeys(values, "real"),
                          citation={"id": "local_demand", "name": "Local figures", "period": "2025"})
    result = merge_demand(update, tmp_data_dir / "demand.csv")
    new = {s["id"]: s for s in result.cite(list(ORIGINAL_SOURCES.values()))}
    assert "illustrative_demand" not in new
    assert new["local_demand"]["note"] == "The source covers 33 of 33 authorities."
    assert new["mps_sexual_offences"] == ORIGINAL_SOURCES["mps_sexual_offences"]  # not this importer's id


def test_mps_vawg_missing_month_is_an_error(capsys, tmp_data_dir, tmp_path):
    path = tmp_path / "vawg.csv"
    lines = ["code,name,month,vawg_offences,vawg_victims"]
    for code, name in LONDON_AUTHORITIES.items():
        if code == "E09000001":
            continue
        for month in ("2025-01", "2025-02"):
            if (code, month) != ("E09000007", "2025-01"):
                lines.append(f"{code},{name},{month},10,9")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "mps-vawg", path, "--months", "2", "--data", tmp_data_dir)
    assert code == 2 and "no row for E09000007 Camden in 2025-01" in err and str(path) in err
    code, _, err = run_cli(capsys, "mps-vawg", path, "--months", "1", "--data", tmp_data_dir)
    assert code == 0, err
    assert value(demand_rows(tmp_data_dir), "E09000007", "vawg_victims")["value"] == "9"


# ------------------------------------------------------------------ ons-population

@needs_real
def test_ons_population_mid_year_estimates(capsys, tmp_data_dir):
    code, _, err = run_cli(capsys, "ons-population", ONS_MYE, "--data", tmp_data_dir)
    assert code == 0, err
    assert "mye_population_mid2024" in err and "9089736" in err  # SOURCES.md: 33-authority sum for 2024
    pop = pd.read_csv(tmp_data_dir / "population.csv", dtype=str, keep_default_na=False).set_index("code")
    assert pop.at["E09000001", "population"] == "15111"
    assert pop.at["E09000012", "population"] == "266758"
    assert pop.at["E09000012", "year"] == "2024"
    # the table has no adult-women column: the 2021 figure is kept and flagged as another year
    assert pop.at["E09000012", "adult_women"] == "110890"
    assert "2021" in pop.at["E09000012", "adult_women_method"]
    assert "different year" in err or "not 2024" in pop.at["E09000012", "adult_women_method"]
    ds = load_dataset(tmp_data_dir)
    assert ds.population["population"].sum() == 9089736
    cited = sources(tmp_data_dir)
    assert cited["ons_population"]["period"] == "mid-2024"  # column mye_population_mid2024
    assert cited["ons_population"]["licence"] == "Open Government Licence v3.0"
    assert cited["ons_population"]["illustrative"] is False
    assert cited["ons_population"]["used_in"] == "data/population.csv (population)"
    # adult_women still comes from the census: its source stays, narrowed to that column
    assert cited["census2021"]["used_in"] == "data/population.csv (adult_women only)"
    assert cited["census2021"]["period"] == ORIGINAL_SOURCES["census2021"]["period"]


@needs_real
def test_ons_population_year_option_and_adult_women_column(capsys, tmp_data_dir, tmp_path):
    code, _, err = run_cli(capsys, "ons-population", ONS_MYE, "--year", "2022", "--data", tmp_data_dir)
    assert code == 0, err
    pop = pd.read_csv(tmp_data_dir / "population.csv", dtype=str).set_index("code")
    assert pop.at["E09000001", "population"] == "11615"
    # A national-style table: other English codes are left out, named columns are used.
    table = tmp_path / "ons.csv"
    rows = ["Area code,Area name,All ages,Females 16+", "E92000001,England,57106398,23000000",
            "E08000025,Birmingham,1157603,450000"]
    rows += [f"{c},{n},{1000 + i},{400 + i}" for i, (c, n) in enumerate(LONDON_AUTHORITIES.items())]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "ons-population", table, "--population-column", "All ages",
                           "--adult-women-column", "Females 16+", "--year", "2023", "--data", tmp_data_dir)
    assert code == 0, err
    assert "left out 2 rows" in err
    pop = pd.read_csv(tmp_data_dir / "population.csv", dtype=str).set_index("code")
    # Hackney is the 12th authority (i = 11): 1000 + 11, 400 + 11
    assert pop.at["E09000012", "population"] == "1011" and pop.at["E09000012", "adult_women"] == "411"
    assert "Females 16+" in pop.at["E09000012", "adult_women_method"]
    # population.csv no longer uses the census at all: its source goes, the new one replaces it
    cited = sources(tmp_data_dir)
    assert "census2021" not in cited
    assert cited["ons_population"]["period"] == "2023" and cited["ons_population"]["file"] == "ons.csv"
    assert cited["ons_population"]["used_in"] == "data/population.csv (population, adult_women)"
    # the first import (census kept for adult_women) added ons_population last; the second dropped the census
    assert list(cited) == ["mps_sexual_offences", "lambeth_refuge", "boundaries", "illustrative_services",
                           "illustrative_demand", "london_assembly_victim_care_2013", "illustrative_satisfaction",
                           "mps_vawg_monthly", "mps_sexual_offences_monthly", "safelives_marac_estimate",
                           "ons_population"]


def test_ons_population_errors(capsys, tmp_data_dir, tmp_path):
    table = tmp_path / "ons.csv"
    rows = ["code,name,population"] + [f"{c},{n},1000" for c, n in LONDON_AUTHORITIES.items() if c != "E09000033"]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "ons-population", table, "--data", tmp_data_dir)
    assert code == 2 and "no population rows for E09000033 Westminster" in err
    code, _, err = run_cli(capsys, "ons-population", table, "--population-column", "pop", "--data", tmp_data_dir)
    assert code == 2 and "column 'pop'" in err and str(table) in err
    rows[5] = rows[5].replace(",1000", ",-3")  # line 6
    rows.append("E09000033,Westminster,1000")
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "ons-population", table, "--data", tmp_data_dir)
    assert code == 2 and "line 6, column 'population': '-3' is not a count" in err


# ------------------------------------------------------------------ services register

REGISTER_HEADER = ["Service ID", "Organisation", "Type", "FTE", "Bed spaces", "Areas served", "Latitude",
                   "Longitude", "Confidential", "Specialism"]


def write_register_xlsx(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(REGISTER_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


GOOD_ROWS = [
    ["H1", "Hackney Advocacy", "IDVA", 3.5, None, "Hackney", 51.545, -0.055, "No", None],
    ["K1", "South West ISVA", "ISVA", 2, None, "Kingston, Richmond", None, None, None, "young people"],
    ["R1", "Safe House", "Refuge", None, 12, "Hammersmith & Fulham", 51.49, -0.22, None, None],
    ["L1", "Pan-London Partnership", "IDVA", 10, None, "Pan-London", None, None, None, None],
]


def test_services_register_xlsx(capsys, tmp_data_dir, tmp_path):
    register = write_register_xlsx(tmp_path / "register.xlsx", GOOD_ROWS)
    code, _, err = run_cli(capsys, "services", register, "--data", tmp_data_dir)
    assert code == 0, err
    rows = pd.read_csv(tmp_data_dir / "services.csv", dtype=str, keep_default_na=False).set_index("service_id")
    assert list(rows.index) == ["H1", "K1", "R1", "L1"]
    assert rows.at["H1", "service"] == "idva" and rows.at["H1", "capacity"] == "3.5"
    assert rows.at["K1", "areas"] == "E09000021;E09000027"
    assert rows.at["R1", "capacity"] == "12" and rows.at["R1", "confidential"] == "true"  # refuge forced
    assert rows.at["R1", "areas"] == "E09000013"
    assert rows.at["L1", "areas"] == "London"
    assert rows.at["H1", "confidential"] == "false"
    ds = load_dataset(tmp_data_dir)
    assert ds.services["capacity"].sum() == 3.5 + 2 + 12 + 10
    assert ds.services.set_index("service_id").at["L1", "areas"] == tuple(LONDON_AUTHORITIES)
    assert "51.49" not in err  # no refuge coordinates in messages


@pytest.mark.parametrize("row, column, message", [
    (["R9", "Safe House", "Refuge", None, 8, "Camden", None, None, "no", None], "Confidential",
     "a refuge must be confidential"),
    (["H9", "Advocacy", "IDVA", 2, None, "Hackny", None, None, None, None], "Areas served",
     "unknown borough 'Hackny'"),
    (["H9", "Advocacy", "IDVA", -1, None, "Hackney", None, None, None, None], "FTE", "below 0"),
    (["H9", "Advocacy", "IDVA", "two", None, "Hackney", None, None, None, None], "FTE", "'two' is not a number"),
    (["H1", "Advocacy", "IDVA", 2, None, "Hackney", None, None, None, None], "Service ID",
     "duplicate service_id 'H1'"),
    (["H9", "Advocacy", "IDVA", 2, None, "E08000025", None, None, None, None], "Areas served",
     "'E08000025' is not an authority in London"),
    (["H9", "Advocacy", "Counselling", 2, None, "Hackney", None, None, None, None], "Type",
     "'counselling' has no need model"),
    (["H9", "Advocacy", "IDVA", 2, 3, "Hackney", None, None, None, None], "Bed spaces", "both 'FTE' and 'Bed spaces'"),
])
def test_services_register_errors_name_register_cell(capsys, tmp_data_dir, tmp_path, row, column, message):
    register = write_register_xlsx(tmp_path / "register.xlsx", GOOD_ROWS + [row])
    original = (tmp_data_dir / "services.csv").read_bytes()
    code, _, err = run_cli(capsys, "services", register, "--data", tmp_data_dir)
    assert code == 2
    # the bad row is the 5th data row: spreadsheet line 6
    assert f"{register}, line 6, column '{column}'" in err and message in err
    assert (tmp_data_dir / "services.csv").read_bytes() == original


def test_services_register_csv_fixture_without_ids(capsys, tmp_data_dir):
    register = FIXTURES / "services_register.csv"
    code, out, err = run_cli(capsys, "services", register, "--data", tmp_data_dir, "--dry-run")
    assert code == 0, err
    assert "111 rows -> 3 rows" in out
    code, _, err = run_cli(capsys, "services", register, "--data", tmp_data_dir)
    assert code == 0, err
    ds = load_dataset(tmp_data_dir)
    s = ds.services.set_index("service_id")
    assert list(s.index) == ["R001", "R002", "R003"]
    assert s.at["R002", "areas"] == ("E09000033", "E09000020")  # "City of Westminster; RBKC"
    assert bool(s.at["R003", "confidential"]) and s.at["R003", "capacity"] == 20.0


def test_services_register_replaces_the_services_citations(capsys, tmp_data_dir):
    register = FIXTURES / "services_register.csv"
    code, out, err = run_cli(capsys, "services", register, "--data", tmp_data_dir, "--dry-run",
                             "--period", "April 2026")
    assert code == 0, err
    assert "sources.yaml: removed illustrative_services" in out and "sources.yaml: removed lambeth_refuge" in out
    code, _, err = run_cli(capsys, "services", register, "--data", tmp_data_dir, "--period", "April 2026",
                           "--publisher", "MOPAC")
    assert code == 0, err
    cited = sources(tmp_data_dir)
    # the register has no illustrative rows, and it replaced every row the old sources described
    assert "illustrative_services" not in cited and "lambeth_refuge" not in cited
    entry = cited["services_register"]
    assert entry["illustrative"] is False and entry["period"] == "April 2026" and entry["publisher"] == "MOPAC"
    assert entry["file"] == "services_register.csv" and entry["used_in"] == "data/services.csv"
    ds = load_dataset(tmp_data_dir)
    assert not any(i.startswith("services") for i in ds.illustrative)
    assert {s["id"] for s in ds.sources} == {"census2021", "mps_sexual_offences", "services_register", "boundaries",
                                            "illustrative_demand", "london_assembly_victim_care_2013",
                                            "illustrative_satisfaction", "mps_vawg_monthly",
                                            "mps_sexual_offences_monthly", "safelives_marac_estimate"}


def test_services_register_with_illustrative_rows_is_cited_as_illustrative(capsys, tmp_data_dir, tmp_path):
    register = tmp_path / "reg.csv"
    register.write_text("Provider,Type,FTE,Areas,Illustrative\nA,IDVA,1,Hackney,yes\nB,ISVA,2,Camden,no\n",
                        encoding="utf-8")
    code, _, err = run_cli(capsys, "services", register, "--data", tmp_data_dir)
    assert code == 0, err
    entry = sources(tmp_data_dir)["services_register"]
    assert entry["illustrative"] is True and "1 of them marked illustrative" in entry["note"]
    assert "not stated" in entry["period"] and "reg.csv" in entry["period"]


def test_services_register_missing_columns(capsys, tmp_data_dir, tmp_path):
    register = tmp_path / "reg.csv"
    register.write_text("Organisation,Type,FTE\nA,IDVA,1\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "services", register, "--data", tmp_data_dir)
    assert code == 2 and "no column for ['areas']" in err and "line 1" in err and "'Areas served'" in err
