"""Scenario planner and post allocator (commissioning/scenarios.py), on a hand-built area.

The area: four 10 km squares in a row, "Area 1".."Area 4" (E06000001..4).
  adult women 100k, 100k, 100k, 500k  -> IDVA need (4 per 100,000) 4, 4, 4, 20 FTE
  population  200k, 200k, 200k, 1M    -> refuge need (1 per 10,000) 20, 20, 20, 100 spaces
  services: S1 idva 2 FTE in Area 1 (located); S2 idva 6 FTE shared by Areas 2 and 3 (equal adult
  women -> 3 + 3); S3 refuge 5 spaces in Area 1 (confidential).
  Before: IDVA provision 2, 3, 3, 0; shortfall 2, 1, 1, 20; coverage 50%, 75%, 75%, 0%
          -> red, amber, amber, red (amber from 60%, green from 90%).
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from commissioning.errors import InputError
from commissioning.needs.dataset import load_dataset
from commissioning.spatial.geo import BNG
from commissioning.spatial.lots import make_lots
from commissioning.spatial.scenarios import Change, allocate, apply_changes, objective, posts_from_budget, run_scenario

REPO = Path(__file__).resolve().parents[2]
CODES = [f"E06{i:06d}" for i in range(1, 5)]
AUTHORITIES = {c: f"Area {i}" for i, c in enumerate(CODES, start=1)}


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    folder = tmp_path_factory.mktemp("area")
    women = [100_000, 100_000, 100_000, 500_000]
    (folder / "population.csv").write_text("code,name,population,adult_women\n" + "".join(
        f"{c},{AUTHORITIES[c]},{2 * w},{w}\n" for c, w in zip(CODES, women)), encoding="utf-8")
    (folder / "demand.csv").write_text("code,name,measure,value\n" + "".join(
        f"{c},{AUTHORITIES[c]},sexual_offences,300\n" for c in CODES), encoding="utf-8")
    (folder / "services.csv").write_text(
        "service_id,provider,service,capacity,areas,lat,lon,confidential\n"
        "S1,P1,idva,2.0,E06000001,51.0,-1.0,false\n"
        "S2,P2,idva,6.0,E06000002;E06000003,,,false\n"
        "S3,P3,refuge,5.0,E06000001,51.01,-1.01,true\n", encoding="utf-8")
    shutil.copy(REPO / "data" / "benchmarks.yaml", folder / "benchmarks.yaml")
    squares = [box(500_000 + 10_000 * i, 200_000, 510_000 + 10_000 * i, 210_000) for i in range(4)]
    boundaries = gpd.GeoDataFrame({"name": list(AUTHORITIES.values())}, geometry=squares, crs=BNG,
                                  index=pd.Index(CODES, name="code")).to_crs("EPSG:4326")
    return load_dataset(folder, authorities=AUTHORITIES), boundaries


def idva(diff: pd.DataFrame, column: str) -> list[float]:
    return diff.loc[diff["service"] == "idva"].set_index("code")[column].reindex(CODES).round(6).tolist()


def test_remove_is_proportional_in_the_named_areas(area):
    ds, _ = area
    # remove 2 FTE from Areas 2 and 3: they hold 3 + 3 = 6, so each keeps 1 - 2/6 = 2/3 -> 2 and 2
    result = run_scenario(ds, [Change("idva", -2, ("Area 2", "E06000003"))])
    assert idva(result.diff, "provision_before") == [2, 3, 3, 0]
    assert idva(result.diff, "provision_after") == [2, 2, 2, 0]
    assert idva(result.diff, "shortfall_after") == [2, 2, 2, 20]
    # coverage 75% -> 50%: amber -> red
    assert idva(result.diff, "status_before") == ["red", "amber", "amber", "red"]
    assert idva(result.diff, "status_after") == ["red", "red", "red", "red"]
    assert list(result.diff.columns) == ["code", "name", "service", "provision_before", "provision_after",
                                         "shortfall_before", "shortfall_after", "status_before", "status_after"]


def test_remove_splits_a_shared_service_without_going_negative(area):
    ds, _ = area
    # remove 1 FTE from Areas 1 and 2: they hold 2 + 3 = 5, each keeps 0.8 -> 1.6 and 2.4;
    # S2's half in Area 3 (3 FTE) is untouched
    after = apply_changes(ds, [Change("idva", -1, ("Area 1", "Area 2"))])
    assert (after.services["capacity"] >= 0).all()
    caps = after.services.set_index("service_id")["capacity"]
    assert caps["S1"] == pytest.approx(1.6)
    assert caps["S2@E06000002"] == pytest.approx(2.4)
    assert caps["S2"] == pytest.approx(3.0) and after.services.set_index("service_id").loc["S2", "areas"] == (
        "E06000003",)
    result = run_scenario(ds, [Change("idva", -1, ("Area 1", "Area 2"))])
    assert idva(result.diff, "provision_after") == [1.6, 2.4, 3.0, 0]


def test_remove_everything_and_too_much(area):
    ds, _ = area
    result = run_scenario(ds, [Change("idva", -6, ("Area 2", "Area 3"))])
    assert idva(result.diff, "provision_after") == [2, 0, 0, 0]
    with pytest.raises(InputError, match="cannot remove 7 FTE of idva: those areas have 6.00 FTE"):
        apply_changes(ds, [Change("idva", -7, ("Area 2", "Area 3"))])


def test_add_is_apportioned_by_need_base(area):
    ds, _ = area
    # +4 FTE over Areas 3 and 4 (100k and 500k adult women): 4/6 = 0.6667 and 20/6 = 3.3333
    result = run_scenario(ds, [Change("idva", 4, ("Area 3", "Area 4"))])
    assert idva(result.diff, "provision_after") == pytest.approx([2, 3, 3 + 4 / 6, 20 / 6], abs=1e-6)
    # Area 3: coverage (3 + 2/3) / 4 = 91.7% -> green
    assert idva(result.diff, "status_after")[2] == "green"
    # the new refuge row is confidential like every refuge
    added = apply_changes(ds, [Change("refuge", 3, ("Area 4",))]).services.iloc[-1]
    assert added["confidential"] and added["capacity"] == 3.0 and added["areas"] == ("E06000004",)


def test_change_by_lot_name(area):
    ds, boundaries = area
    lots = make_lots(ds, 2, "idva", boundaries)  # Lot 1 (West) = Areas 1-3 (see test_lots)
    result = run_scenario(ds, [Change("idva", 3, ("Lot 1",))], lots=lots)
    # equal adult women -> +1 each
    assert idva(result.diff, "provision_after") == [3, 4, 4, 0]
    with pytest.raises(InputError, match="no lots were made"):
        apply_changes(ds, [Change("idva", 3, ("Lot 1",))])


def test_scenario_access_before_after(area):
    ds, boundaries = area
    # with a 1,000 km catchment and no decay every site reaches every point (2SFCA), so access is
    # the same everywhere: total FTE / total adult women x 100,000 = 8 / 800,000 x 1e5 = 1.0 before
    # and (8 + 4) / 800,000 x 1e5 = 1.5 after
    result = run_scenario(ds, [Change("idva", 4, ("Area 4",))], boundaries=boundaries,
                          radius_m=1_000_000, decay="none")
    assert idva(result.diff, "access_before") == pytest.approx([1.0] * 4)
    assert idva(result.diff, "access_after") == pytest.approx([1.5] * 4)


def test_bad_changes(area):
    ds, _ = area
    with pytest.raises(InputError, match="unknown service 'dog'"):
        apply_changes(ds, [Change("dog", 1, ("Area 1",))])
    with pytest.raises(InputError, match="unknown borough 'Narnia'"):
        apply_changes(ds, [Change("idva", 1, ("Narnia",))])
    with pytest.raises(InputError, match="delta: 'lots' is not a number"):
        apply_changes(ds, [Change("idva", "lots", ("Area 1",))])


# --- allocator -------------------------------------------------------------------------------
# J = sum max(0, shortfall)^2 / need. Before: 2²/4 + 1²/4 + 1²/4 + 20²/20 = 1 + 0.25 + 0.25 + 20 = 21.5

def test_objective_before():
    assert objective([2, 1, 1, 20], [4, 4, 4, 20]) == pytest.approx(21.5)
    assert objective([-1, 2, 3], [4, 4, 0]) == pytest.approx(1.0)  # negative and need-0 terms add 0


def test_allocator_beats_even_spread_on_hand_case(area):
    ds, _ = area
    # 4 posts: Area 4's t-th step gains ((21 - t)² - (20 - t)²)/20 = (41 - 2t)/20, i.e. 1.95, 1.85,
    # 1.75, 1.65; Area 1's first gains (2² - 1²)/4 = 0.75, so all four go to Area 4:
    #   J = 1 + 0.25 + 0.25 + 16²/20 = 1.5 + 12.8 = 14.3
    # even spread (1 each): 1²/4 + 0 + 0 + 19²/20 = 0.25 + 18.05 = 18.3
    result = allocate(ds, "idva", 4)
    assert result.table.set_index("code")["added"].reindex(CODES).tolist() == [0, 0, 0, 4]
    assert result.objective_before == pytest.approx(21.5)
    assert result.objective_after == pytest.approx(14.3)
    assert result.objective_after <= 18.3
    assert result.explanation() == ["Area 4: +4.0 FTE, shortfall 20.0 → 16.0, coverage 0% → 20%"]
    # 14 posts: Area 4 takes steps while (41 - 2t)/20 > 0.75, i.e. 12, then its 13th (0.75) and
    # Area 1's first (0.75) tie for the last two: Area 4 13, Area 1 1.
    #   J = 1²/4 + 0.25 + 0.25 + 7²/20 = 0.75 + 2.45 = 3.2
    # even spread (3.5 each): 0 + 0 + 0 + 16.5²/20 = 13.6125
    result = allocate(ds, "idva", 14)
    assert result.table.set_index("code")["added"].reindex(CODES).tolist() == [1, 0, 0, 13]
    assert result.objective_after == pytest.approx(3.2)
    assert result.objective_after <= 13.6125


@pytest.mark.parametrize("posts,step", [(1, 1), (3, 1), (5, 1), (2.5, 0.5), (4, 0.5)])
def test_greedy_is_optimal_against_brute_force(area, posts, step):
    ds, _ = area
    short, need = [2, 1, 1, 20], [4, 4, 4, 20]
    m = round(posts / step)
    best = min(objective([s - n * step for s, n in zip(short, counts)], need)
               for counts in itertools.product(range(m + 1), repeat=4) if sum(counts) == m)
    result = allocate(ds, "idva", posts, step=step)
    assert result.placed == pytest.approx(posts)
    assert result.objective_after == pytest.approx(best)


def test_posts_beyond_every_gap_are_not_placed(area):
    ds, _ = area
    # positive shortfalls sum to 2 + 1 + 1 + 20 = 24
    result = allocate(ds, "idva", 30)
    assert result.placed == 24 and result.unplaced == 6 and result.objective_after == 0
    assert result.table["added"].sum() == 24


def test_allocate_within_areas(area):
    ds, _ = area
    # only Areas 2 and 3: each first step gains 1²/4 = 0.25; one each -> J = 1 + 0 + 0 + 20 = 21.0
    # (the table lists the candidate areas only)
    result = allocate(ds, "idva", 2, areas=["Area 2", "Area 3"])
    assert result.table["code"].tolist() == ["E06000002", "E06000003"]
    assert result.table["added"].tolist() == [1, 1]


def test_budget_and_bad_input(area):
    ds, _ = area
    assert posts_from_budget(500_000, 45_000, 0.5) == 11.0   # 11.11 FTE -> 22 half-steps
    assert posts_from_budget(100_000, 45_000, 0.5) == 2.0    # 2.22 -> 4 half-steps
    assert posts_from_budget(90_000, 45_000, 1) == 2         # exactly 2
    with pytest.raises(InputError):
        posts_from_budget(90_000, 0, 1)
    with pytest.raises(InputError, match="not a whole number of 0.5 steps"):
        allocate(ds, "idva", 1.3, step=0.5)
    with pytest.raises(InputError, match="unknown service"):
        allocate(ds, "nothing", 1)
    with pytest.raises(InputError, match="posts must be >= 0"):
        allocate(ds, "idva", -1)
    # issue 22: budgets and steps no service could mean (an overflow and a loop of 1e300 steps before)
    with pytest.raises(InputError, match="inf posts in steps of 1 is more than 100,000 steps"):
        posts_from_budget(1e308, 1e-308, 1)
    with pytest.raises(InputError, match="step 1e-300 is finer than 0.01"):
        allocate(ds, "idva", 5, step=1e-300)
    with pytest.raises(InputError, match="200000 posts in steps of 1 is more than 100,000 steps"):
        allocate(ds, "idva", 200_000)
