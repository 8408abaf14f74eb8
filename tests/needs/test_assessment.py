"""The gap table against figures worked out by hand from the CSV values."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from commissioning.needs.assessment import GAP_COLUMNS, assess, london_totals
from commissioning.needs.dataset import load_dataset


@pytest.fixture(scope="module")
def default_gaps():
    ds = load_dataset()
    return ds, assess(ds).set_index(["code", "service"])


def test_gap_table_shape(default_gaps):
    ds, gaps = default_gaps
    table = assess(ds)
    assert list(table.columns) == GAP_COLUMNS
    assert len(table) == 33 * 4  # 33 authorities x idva, isva, refuge, ld_advocate
    assert table["service"].unique().tolist() == ["idva", "isva", "refuge", "ld_advocate"]


def test_hackney_idva_rate_model(default_gaps):
    _, gaps = default_gaps
    row = gaps.loc[("E09000012", "idva")]
    # data/population.csv: Hackney adult_women = 110890 -> need = 110890 x 4 / 100,000 = 4.4356 FTE
    assert row["need"] == pytest.approx(4.4356, abs=1e-12)
    # data/services.csv: S031 3.2 FTE for Hackney alone, plus the pan-London S106 (24 FTE) shared by
    # adult women: the 33 adult_women values of population.csv sum to 3,710,626, so
    # Hackney's share = 24 x 110890 / 3710626 = 2661360 / 3710626 = 0.717227
    provision = 3.2 + 2661360 / 3710626  # 3.917227
    assert row["provision"] == pytest.approx(provision, abs=1e-12)
    assert row["shortfall"] == pytest.approx(4.4356 - provision, abs=1e-12)  # 0.518373
    assert row["coverage_pct"] == pytest.approx(100 * provision / 4.4356, abs=1e-9)  # 88.31%
    assert row["status"] == "amber"  # 60 <= 88.3 < 90


def test_hackney_isva_caseload_model(default_gaps):
    _, gaps = default_gaps
    row = gaps.loc[("E09000012", "isva")]
    # demand.csv: Hackney sexual_offences 972 -> need = 972 x 0.35 / 75 = 340.2 / 75 = 4.536 FTE
    assert row["need"] == pytest.approx(4.536, abs=1e-12)
    # provision, shared by sexual offences (the caseload model's measure):
    #   S033 1.6 (Hackney only)
    #   S109 3.0 over Newham 1135, Tower Hamlets 1179, Hackney 972: 3.0 x 972 / 3286
    #   S107 38 pan-London; the 33 sexual_offences values sum to 27022: 38 x 972 / 27022
    provision = 1.6 + 3.0 * 972 / 3286 + 38 * 972 / 27022
    assert row["provision"] == pytest.approx(provision, abs=1e-12)  # 1.6 + 0.88740 + 1.36689 = 3.85429
    assert row["status"] == "amber"  # 100 x 3.85429 / 4.536 = 84.97%


def test_hackney_refuge(default_gaps):
    _, gaps = default_gaps
    row = gaps.loc[("E09000012", "refuge")]
    # population 259146 x 1 / 10,000 = 25.9146 spaces; provision S032 = 9 spaces
    assert row["need"] == pytest.approx(25.9146, abs=1e-12)
    assert row["provision"] == 9.0
    assert row["shortfall"] == pytest.approx(16.9146, abs=1e-12)
    assert row["status"] == "red"  # 100 x 9 / 25.9146 = 34.7%


def test_idva_caseload_model_switch():
    ds = load_dataset()
    ds = ds.with_benchmarks(ds.benchmarks.with_models({"idva": "caseload"}))
    row = assess(ds).set_index(["code", "service"]).loc[("E09000012", "idva")]
    # marac_cases (estimated): Hackney 557 -> need = 557 x 1.0 / 100 = 5.57; the 33 marac_cases sum to
    # the SafeLives force totals 16,585 + 10 = 16,595, so provision = 3.2 + 24 x 557 / 16595 (the
    # pan-London service is now shared by MARAC cases)
    assert row["need"] == pytest.approx(5.57, abs=1e-12)
    assert row["provision"] == pytest.approx(3.2 + 24 * 557 / 16595, abs=1e-12)


TINY_BENCHMARKS = """
status: {green_at: 90, amber_at: 60}
services:
  idva:
    label: IDVA
    unit: FTE
    use: rate
    models:
      rate: {base: adult_women, per: 1, per_population: 1000, citation: test}
  isva:
    label: ISVA
    unit: FTE
    use: caseload
    models:
      caseload: {measure: sexual_offences, referral_share: 0.5, cases_per_fte: 10, citation: test}
  refuge:
    label: Refuge
    unit: spaces
    use: rate
    models:
      rate: {base: population, per: 1, per_population: 1000, citation: test}
"""


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    """Three authorities (a custom area), values chosen so every share is easy to do by hand."""
    d = tmp_path / "tiny"
    d.mkdir()
    (d / "benchmarks.yaml").write_text(TINY_BENCHMARKS, encoding="utf-8")
    (d / "population.csv").write_text(
        "code,name,population,adult_women\n"
        "E09000012,Hackney,2000,1000\n"
        ",Islington,6000,3000\n"
        "E09000030,Tower Hamlets,12000,6000\n", encoding="utf-8")
    (d / "demand.csv").write_text(
        "code,name,measure,value\n"
        "E09000012,Hackney,sexual_offences,10\n"
        "E09000019,Islington,sexual_offences,30\n"
        "E09000030,Tower Hamlets,sexual_offences,\n", encoding="utf-8")
    (d / "services.csv").write_text(
        "service_id,provider,service,capacity,areas,confidential\n"
        "P1,Pan,idva,5,London,false\n"
        "P2,Pair,idva,2,Hackney;Islington,false\n"
        "P3,Pan ISVA,isva,4,Pan-London,false\n"
        "P4,TH ISVA,isva,2,Tower Hamlets,false\n"
        "R1,Refuge,refuge,6,E09000030,true\n", encoding="utf-8")
    return d


TINY_AREA = {"E09000012": "Hackney", "E09000019": "Islington", "E09000030": "Tower Hamlets"}


def test_apportioning_pan_london_and_shared_services(tiny_dir):
    ds = load_dataset(tiny_dir, authorities=TINY_AREA)
    gaps = assess(ds).set_index(["service", "code"])
    idva = gaps.loc["idva"]
    # P1: 5 FTE over adult women 1000 : 3000 : 6000 -> 0.5, 1.5, 3.0
    # P2: 2 FTE over Hackney 1000 : Islington 3000  -> 0.5, 1.5
    assert idva["provision"].tolist() == pytest.approx([1.0, 3.0, 3.0], abs=1e-12)
    assert idva["need"].tolist() == pytest.approx([1.0, 3.0, 6.0], abs=1e-12)  # adult women / 1000
    assert idva["shortfall"].tolist() == pytest.approx([0.0, 0.0, 3.0], abs=1e-12)
    assert idva["coverage_pct"].tolist() == pytest.approx([100.0, 100.0, 50.0], abs=1e-9)
    assert idva["status"].tolist() == ["green", "green", "red"]
    isva = gaps.loc["isva"]
    # P3: 4 FTE by sexual offences 10 : 30 : blank(=0) -> 1, 3, 0.  P4: 2 FTE to Tower Hamlets alone,
    # whose weight is 0, so it is split evenly over its one area -> 2.
    assert isva["provision"].tolist() == pytest.approx([1.0, 3.0, 2.0], abs=1e-12)
    # need = offences x 0.5 / 10: 0.5, 1.5, and no figure for Tower Hamlets
    assert isva["need"].tolist()[:2] == pytest.approx([0.5, 1.5], abs=1e-12)
    assert math.isnan(isva.loc["E09000030", "need"]) and isva.loc["E09000030", "status"] == "n/a"
    refuge = gaps.loc["refuge"]
    assert refuge["provision"].tolist() == [0.0, 0.0, 6.0]
    assert refuge["need"].tolist() == pytest.approx([2.0, 6.0, 12.0], abs=1e-12)

    totals = london_totals(assess(ds), ds.benchmarks).set_index("service")
    # idva: provision 7, need 10, shortfall 3 (only Tower Hamlets short), coverage 70% -> amber
    assert totals.loc["idva", ["provision", "need", "shortfall", "gap_total"]].tolist() == \
        pytest.approx([7.0, 10.0, 3.0, 3.0])
    assert totals.loc["idva", "status"] == "amber"
    assert totals.loc["idva", ["red", "amber", "green"]].tolist() == [1, 0, 2]
    # isva: provision 6, need 2 (NaN skipped), over-provided: shortfall -4 and no positive gap
    assert totals.loc["isva", ["provision", "need", "shortfall", "gap_total"]].tolist() == \
        pytest.approx([6.0, 2.0, -4.0, 0.0])


def test_tiny_area_rejects_london_codes_outside_it(tiny_dir):
    from commissioning.errors import InputError

    services = (tiny_dir / "services.csv").read_text(encoding="utf-8")
    (tiny_dir / "services.csv").write_text(services + "X1,Other,idva,1,Camden,false\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_dataset(tiny_dir, authorities=TINY_AREA)
    assert "services.csv, line 7, column 'areas': unknown borough 'Camden'" in str(info.value)


def test_need_that_rounds_to_nothing_has_status_no_need(default_gaps):
    """One status rule for text, tables, maps and CSV: City of London's learning-disability need,
    3,616 adult women x 4 per 100,000 x 10% = 0.0145 FTE, prints as 0.0 FTE: "no need", no
    coverage, not "red"; its IDVA need, 0.145 FTE, prints as 0.1 and keeps a status."""
    _, gaps = default_gaps
    ld = gaps.loc[("E09000001", "ld_advocate")]
    assert ld["need"] == pytest.approx(0.014464, abs=1e-9)   # under 0.05 FTE
    assert ld["status"] == "no need"
    assert math.isnan(ld["coverage_pct"])
    idva = gaps.loc[("E09000001", "idva")]
    assert idva["need"] == pytest.approx(0.14464, abs=1e-9)
    assert idva["status"] == "red"                            # 0.0234 / 0.14464 = 16% coverage
    assert idva["coverage_pct"] == pytest.approx(100 * 0.02338796742113056 / 0.14464, abs=1e-6)
