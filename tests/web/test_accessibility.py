"""Tests for commissioning.spatial.accessibility (E2SFCA / 2SFCA, Luo & Qi 2009; Luo & Wang 2003)."""

from __future__ import annotations

import doctest
from fractions import Fraction as F

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from commissioning.spatial import accessibility as acc
from commissioning.spatial.accessibility import (
    access_per_100k,
    accessibility,
    borough_summary,
    catchment_weights,
    e2sfca,
)

# ---------------------------------------------------------------------------------------------
# Hand-computed example: 3 supply sites x 4 demand points, radius 10 km (EPSG:27700 metres)
#
#   supply  S1 (0, 0)       capacity 2
#           S2 (6000, 0)    capacity 1
#           S3 (30000, 0)   capacity 3
#   demand  D1 (0, 3000)    population 1000
#           D2 (3000, 4000) population 2000
#           D3 (6000, 8000) population 1000
#           D4 (24000, 0)   population 500
#
# Distances within 10 km (everything else is > 10 km):
#   D1-S1 = 3000                 D1-S2 = sqrt(6000^2 + 3000^2) = sqrt(45e6) ~ 6708.2
#   D2-S1 = sqrt(3000^2 + 4000^2) = 5000      D2-S2 = sqrt(3000^2 + 4000^2) = 5000
#   D3-S1 = sqrt(6000^2 + 8000^2) = 10000 (exactly on the edge: inside, d <= d0)
#   D3-S2 = 8000                 D4-S3 = 6000
#   (D4-S2 = 18000, D1-S3 = 30000.15..., ... are outside)
# ---------------------------------------------------------------------------------------------

SUPPLY_XY = np.array([[0, 0], [6000, 0], [30000, 0]], dtype=float)
CAPACITY = np.array([2.0, 1.0, 3.0])
DEMAND_XY = np.array([[0, 3000], [3000, 4000], [6000, 8000], [24000, 0]], dtype=float)
POPULATION = np.array([1000.0, 2000.0, 1000.0, 500.0])


def as_float(fractions):
    return np.array([float(f) for f in fractions])


def test_e2sfca_step_hand_computed():
    # Default step weights (Luo & Qi 2009) on thirds of 10 km:
    #   d <= 3333.3 -> 1.00,  d <= 6666.7 -> 0.68,  d <= 10000 -> 0.22
    # so W(D1-S1 3000) = 1, W(D1-S2 6708) = 0.22, W(D2-S1 5000) = W(D2-S2 5000) = 0.68,
    #    W(D3-S1 10000) = 0.22, W(D3-S2 8000) = 0.22, W(D4-S3 6000) = 0.68
    w1, w68, w22 = F(1), F(68, 100), F(22, 100)
    # step 1: weighted demand and ratio per site
    #   S1: 1000*1 + 2000*0.68 + 1000*0.22 = 1000 + 1360 + 220 = 2580   R1 = 2/2580 = 1/1290
    #   S2: 1000*0.22 + 2000*0.68 + 1000*0.22 = 220 + 1360 + 220 = 1800 R2 = 1/1800
    #   S3: 500*0.68 = 340                                             R3 = 3/340
    r1, r2, r3 = F(1, 1290), F(1, 1800), F(3, 340)
    # step 2: access per person
    #   A1 = 1*R1 + 0.22*R2;  A2 = 0.68*R1 + 0.68*R2;  A3 = 0.22*R1 + 0.22*R2
    #   A4 = 0.68*R3 = 2.04/340 = 0.006
    expected = [w1 * r1 + w22 * r2, w68 * r1 + w68 * r2, w22 * r1 + w22 * r2, w68 * r3]
    assert expected[3] == F(6, 1000)

    got = e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, radius_m=10_000, decay="step")
    np.testing.assert_allclose(got, as_float(expected), rtol=1e-12)
    # the same with the step weights written out
    steps = {10_000 / 3: 1.00, 20_000 / 3: 0.68, 10_000: 0.22}
    got2 = e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 10_000, "step", steps=steps)
    np.testing.assert_allclose(got2, got, rtol=1e-15)
    # per 100,000: A4 = 0.006 * 100,000 = 600 per 100k
    per100k = access_per_100k(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 10_000, "step")
    np.testing.assert_allclose(per100k, 100_000 * as_float(expected), rtol=1e-12)
    assert per100k[3] == pytest.approx(600.0)
    # all supply is reachable by someone, so sum_i P_i A_i = total capacity = 2 + 1 + 3 = 6
    assert POPULATION @ got == pytest.approx(6.0)


def test_2sfca_special_case_hand_computed():
    # decay="none": W = 1 inside 10 km (Luo & Wang 2003)
    #   S1 reaches D1, D2, D3 (D3 at exactly 10 km): 1000 + 2000 + 1000 = 4000  R1 = 2/4000
    #   S2 reaches D1, D2, D3:                         4000                    R2 = 1/4000
    #   S3 reaches D4:                                  500                    R3 = 3/500
    #   A1 = A2 = A3 = 1/2000 + 1/4000 = 3/4000 = 0.00075 (75 per 100k); A4 = 3/500 (600 per 100k)
    expected = as_float([F(3, 4000)] * 3 + [F(3, 500)])
    got = e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 10_000, "none")
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(
        access_per_100k(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 10_000, "none"),
        [75.0, 75.0, 75.0, 600.0],
    )
    # a single full-weight step zone is 2SFCA too
    one_zone = e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 10_000, "step", steps={10_000: 1})
    np.testing.assert_allclose(one_zone, expected, rtol=1e-12)
    # just inside 10 km, D3 loses S1:  S1: 3000 -> R1 = 2/3000;  A3 = R2 = 1/4000
    shrunk = e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 9_999.0, "none")
    np.testing.assert_allclose(
        shrunk, as_float([F(2, 3000) + F(1, 4000)] * 2 + [F(1, 4000), F(3, 500)]), rtol=1e-12
    )


def test_gaussian_default_sigma_is_half_the_radius():
    # W(d) = exp(-d^2 / (2 sigma^2)), sigma = 5000: W(D4-S3 6000) = exp(-36/50);
    # S3 sees only D4, so A4 = W * 3 / (500 W) = 3/500 whatever the weight
    got = e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 10_000, "gaussian")
    assert got[3] == pytest.approx(3 / 500, rel=1e-12)
    w = acc.catchment_weights(SUPPLY_XY, DEMAND_XY, 10_000, "gaussian")
    assert w[3, 2] == pytest.approx(np.exp(-36 / 50), rel=1e-12)
    assert w[2, 0] == pytest.approx(np.exp(-2), rel=1e-12)  # on the edge: W(d0) = exp(-2)
    explicit = e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 10_000, sigma_m=5_000)
    np.testing.assert_array_equal(got, explicit)


def test_unreachable_supply_and_demand_give_zero():
    supply = np.vstack([SUPPLY_XY, [[500_000, 500_000]]])  # S4 far from everyone
    capacity = np.append(CAPACITY, 7.0)
    demand = np.vstack([DEMAND_XY, [[-300_000, 0]], [[6000, 1000]]])  # D5 out of reach
    population = np.append(POPULATION, [800.0, 0.0])  # D6 has no population
    got = e2sfca(supply, capacity, demand, population, 10_000, "none")
    assert np.isfinite(got).all()
    assert got[4] == 0.0
    # D6 (population 0) still has access: it shares S1 and S2's ratios without diluting them
    np.testing.assert_allclose(got[:4], [3 / 4000] * 3 + [3 / 500], rtol=1e-12)
    assert got[5] == pytest.approx(3 / 4000)
    # a site whose whole catchment has population 0 gets R_j = 0, not inf/nan
    lonely = e2sfca([[500_000, 200_000]], [1.0], [[500_100, 200_000]], [0.0])
    np.testing.assert_array_equal(lonely, [0.0])
    # empty inputs
    assert e2sfca(np.empty((0, 2)), [], DEMAND_XY, POPULATION).tolist() == [0.0] * 4
    assert e2sfca(SUPPLY_XY, CAPACITY, np.empty((0, 2)), []).shape == (0,)


def test_catchment_weights_matches_brute_force():
    rng = np.random.default_rng(1)
    supply = rng.uniform(0, 30_000, size=(40, 2))
    demand = rng.uniform(0, 30_000, size=(300, 2))  # > 256 sites is not needed: see next test
    w = catchment_weights(supply, demand, 7_000, "none")
    dist = np.hypot(*(demand[:, None, :] - supply[None, :, :]).transpose(2, 0, 1))
    assert w.shape == (300, 40)
    np.testing.assert_array_equal(w.toarray(), (dist <= 7_000).astype(float))


def test_many_supply_sites_are_queried_in_chunks_correctly():
    # more than one k-d tree chunk of supply sites (chunk size acc._CHUNK)
    rng = np.random.default_rng(2)
    m = 2 * acc._CHUNK + 17
    supply = rng.uniform(0, 50_000, size=(m, 2))
    demand = rng.uniform(0, 50_000, size=(150, 2))
    dist = np.hypot(*(demand[:, None, :] - supply[None, :, :]).transpose(2, 0, 1))
    w = catchment_weights(supply, demand, 5_000, "gaussian")
    dense = np.where(dist <= 5_000, np.exp(-(dist**2) / (2 * 2_500**2)), 0.0)
    np.testing.assert_allclose(w.toarray(), dense, rtol=1e-12, atol=0)
    capacity, population = rng.uniform(0, 3, m), rng.uniform(500, 2500, 150)
    got = e2sfca(supply, capacity, demand, population, 5_000)
    demand_in_reach = population @ dense
    ratio = np.divide(capacity, demand_in_reach, out=np.zeros(m), where=demand_in_reach > 0)
    np.testing.assert_allclose(got, dense @ ratio, rtol=1e-12)


def test_total_access_conserves_reachable_capacity():
    rng = np.random.default_rng(3)
    supply, demand = rng.uniform(0, 60_000, (30, 2)), rng.uniform(0, 60_000, (400, 2))
    capacity, population = rng.uniform(0.5, 4, 30), rng.uniform(1000, 2000, 400)
    for decay in ("gaussian", "step", "none"):
        got = e2sfca(supply, capacity, demand, population, 8_000, decay)
        reachable = np.asarray(catchment_weights(supply, demand, 8_000, decay).sum(axis=0)).ravel()
        assert population @ got == pytest.approx(capacity[reachable > 0].sum(), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Against the `access` package (pysal/access)
# ---------------------------------------------------------------------------------------------


def _access_package_result(access, supply, capacity, demand, population, radius, weight_fn):
    """Run access.Access on the COMPLETE origin x dest table of euclidean distances."""
    n, m = len(demand), len(supply)
    dist = np.hypot(*(demand[:, None, :] - supply[None, :, :]).transpose(2, 0, 1))
    costs = pd.DataFrame(
        {
            "origin": np.repeat(np.arange(n), m),  # demand ids
            "dest": np.tile(np.arange(m), n),  # supply ids
            "cost": dist.ravel(),
        }
    )
    demand_df = pd.DataFrame({"pop": population}, index=pd.RangeIndex(n, name="geoid"))
    supply_df = pd.DataFrame({"fte": capacity}, index=pd.RangeIndex(m, name="geoid"))
    model = access.Access(
        demand_df=demand_df,
        demand_value="pop",
        supply_df=supply_df,
        supply_value="fte",
        cost_df=costs,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    out = model.two_stage_fca(name="x", max_cost=radius, weight_fn=weight_fn)["x_fte"]
    # access leaves demand points with no supply in reach as NaN; we report 0
    return out.reindex(demand_df.index).fillna(0.0).to_numpy()


def test_matches_access_package_on_random_case():
    access = pytest.importorskip("access")
    from access import weights

    rng = np.random.default_rng(42)
    n, m, radius = 200, 50, 10_000.0
    demand = rng.uniform(500_000, 540_000, size=(n, 2))
    supply = rng.uniform(500_000, 540_000, size=(m, 2))
    population = rng.integers(800, 2500, size=n).astype(float)
    capacity = rng.choice([0.5, 1.0, 2.0, 4.0], size=m)

    cases = {
        "gaussian": (dict(decay="gaussian"), weights.gaussian(radius / 2)),
        "gaussian sigma 3 km": (dict(decay="gaussian", sigma_m=3_000), weights.gaussian(3_000)),
        "step (Luo & Qi)": (
            dict(decay="step"),
            weights.step_fn({radius / 3: 1.0, 2 * radius / 3: 0.68, radius: 0.22}),
        ),
        "none = 2SFCA": (dict(decay="none"), None),
        # access's own (scalar-only) step function passed straight in as our decay
        "callable step_fn": (
            dict(decay=weights.step_fn({4_000: 1.0, radius: 0.5})),
            weights.step_fn({4_000: 1.0, radius: 0.5}),
        ),
    }
    for label, (ours_kwargs, weight_fn) in cases.items():
        theirs = _access_package_result(access, supply, capacity, demand, population, radius,
                                        weight_fn)
        ours = e2sfca(supply, capacity, demand, population, radius_m=radius, **ours_kwargs)
        assert (ours > 0).sum() > n // 2, label  # a meaningful comparison, not all zeros
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0, err_msg=label)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(radius_m=0), "radius_m must be a positive"),
        (dict(radius_m=-5), "radius_m must be a positive"),
        (dict(radius_m=float("nan")), "radius_m must be a positive"),
        (dict(radius_m="10km"), "radius_m must be a positive"),
        (dict(supply_capacity=[1.0, 2.0]), "supply_capacity has 2 values but supply_xy has 3"),
        (dict(demand_population=[1.0] * 5), "demand_population has 5 values but demand_xy has 4"),
        (dict(supply_capacity=[1.0, -2.0, 1.0]), "supply_capacity must be non-negative.*row 1"),
        (dict(demand_population=[1, 2, -3, 4]), "demand_population must be non-negative.*row 2"),
        (dict(demand_population=[1, np.nan, 3, 4]), "demand_population must be finite"),
        (dict(supply_xy=[[0, 0], [np.nan, 1], [2, 2]]), "supply_xy must be finite.*row 1"),
        (dict(demand_xy=np.full((4, 2), np.inf)), "demand_xy must be finite"),
        (dict(supply_xy=np.zeros((3, 3))), r"supply_xy must have shape \(n, 2\)"),
        (dict(supply_xy=[[0, "a"]] * 3), "supply_xy must be numeric"),
        (dict(supply_capacity=np.ones((3, 1))), "supply_capacity must be one-dimensional"),
        (dict(decay="linear"), "decay must be one of"),
        (dict(decay="step", sigma_m=100), "sigma_m applies only to decay='gaussian'"),
        (dict(decay="gaussian", steps={1: 1}), "steps applies only to decay='step'"),
        (dict(decay="gaussian", sigma_m=0), "sigma_m must be a positive"),
        (dict(decay="step", steps={}), "steps must be a non-empty dict"),
        (dict(decay="step", steps={5_000: -1}), "steps weights must be finite and non-negative"),
        (dict(decay="step", steps={-5: 1}), "threshold must be a positive"),
        (dict(decay=lambda d: -np.ones_like(d)), "finite, non-negative weights"),
        (dict(decay=lambda d: 1.0), "decay function returned shape"),
    ],
)
def test_validation_errors(kwargs, message):
    args = dict(
        supply_xy=SUPPLY_XY,
        supply_capacity=CAPACITY,
        demand_xy=DEMAND_XY,
        demand_population=POPULATION,
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        e2sfca(**args)


def test_longitude_latitude_arrays_warn():
    with pytest.warns(UserWarning, match="longitude/latitude"):
        e2sfca([[-0.1, 51.5]], [1.0], [[-0.12, 51.51]], [1000.0])


def test_dataframe_and_series_inputs():
    supply = pd.DataFrame({"x": SUPPLY_XY[:, 0], "y": SUPPLY_XY[:, 1], "fte": CAPACITY})
    demand = pd.DataFrame({"y": DEMAND_XY[:, 1], "x": DEMAND_XY[:, 0]})  # column order ignored
    got = e2sfca(supply, supply["fte"], demand, pd.Series(POPULATION), decay="step")
    np.testing.assert_array_equal(
        got, e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, decay="step")
    )
    with pytest.raises(ValueError, match="columns 'x' and 'y'"):
        e2sfca(supply, CAPACITY, pd.DataFrame(np.ones((4, 3))), POPULATION)


# ---------------------------------------------------------------------------------------------
# GeoDataFrame level and CRS handling
# ---------------------------------------------------------------------------------------------

# the hand example moved to central London (BNG)
ORIGIN = np.array([525_000.0, 178_000.0])


def _gdfs(crs="EPSG:27700"):
    supply = gpd.GeoDataFrame(
        {"fte": CAPACITY},
        geometry=gpd.points_from_xy(*(SUPPLY_XY + ORIGIN).T),
        crs="EPSG:27700",
    )
    demand = gpd.GeoDataFrame(
        {"women": POPULATION, "code": ["E09000001", "E09000001", "E09000002", "E09000003"]},
        geometry=gpd.points_from_xy(*(DEMAND_XY + ORIGIN).T),
        crs="EPSG:27700",
        index=pd.Index(["a", "b", "c", "d"], name="lsoa"),
    )
    return supply.to_crs(crs), demand.to_crs(crs)


def test_accessibility_gdf_matches_arrays_and_hand_values():
    supply, demand = _gdfs()
    out = accessibility(supply, demand, "fte", "women", radius_m=10_000, decay="none")
    assert list(out.index) == ["a", "b", "c", "d"]
    assert out.crs == demand.crs
    np.testing.assert_allclose(out["access_per_100k"], [75.0, 75.0, 75.0, 600.0], rtol=1e-12)
    assert "access_per_100k" not in demand.columns  # input untouched


def test_crs_reprojection_4326_equals_27700():
    supply_bng, demand_bng = _gdfs("EPSG:27700")
    supply_ll, demand_ll = _gdfs("EPSG:4326")
    # radius 10.05 km keeps every pair clear of the catchment edge and of the step-zone edges
    # (D3-S1 is exactly 10 km), which a sub-millimetre round trip through degrees could cross
    for decay in ("gaussian", "step", "none"):
        bng = accessibility(supply_bng, demand_bng, "fte", "women", 10_050, decay)
        ll = accessibility(supply_ll, demand_ll, "fte", "women", 10_050, decay)
        assert ll.crs.to_epsg() == 4326
        np.testing.assert_allclose(
            ll["access_per_100k"], bng["access_per_100k"], rtol=1e-7, err_msg=decay
        )
    # the array API reprojects geo objects too
    np.testing.assert_allclose(
        e2sfca(supply_ll, CAPACITY, demand_ll.geometry, POPULATION, 10_050, "step"),
        e2sfca(SUPPLY_XY, CAPACITY, DEMAND_XY, POPULATION, 10_050, "step"),
        rtol=1e-7,
    )


def test_polygons_use_their_centroid():
    supply, demand = _gdfs()
    squares = demand.copy()
    squares.geometry = [box(p.x - 50, p.y - 50, p.x + 50, p.y + 50) for p in demand.geometry]
    np.testing.assert_allclose(
        accessibility(supply, squares, "fte", "women", decay="step")["access_per_100k"],
        accessibility(supply, demand, "fte", "women", decay="step")["access_per_100k"],
        rtol=1e-12,
    )


def test_accessibility_errors():
    supply, demand = _gdfs()
    with pytest.raises(ValueError, match="demand_gdf has no CRS"):
        accessibility(supply, demand.set_crs(None, allow_override=True), "fte", "women")
    with pytest.raises(ValueError, match="supply_gdf has no CRS"):
        accessibility(supply.set_crs(None, allow_override=True), demand, "fte", "women")
    with pytest.raises(ValueError, match="supply_gdf has no column 'spaces'"):
        accessibility(supply, demand, "spaces", "women")
    with pytest.raises(ValueError, match="must be a GeoDataFrame"):
        accessibility(pd.DataFrame(supply), demand, "fte", "women")
    empty = demand.copy()
    empty.loc["b", "geometry"] = Point()
    with pytest.raises(ValueError, match="1 missing or empty geometries"):
        accessibility(supply, empty, "fte", "women")
    with pytest.raises(ValueError, match="radius_m must be a positive"):
        accessibility(supply, demand, "fte", "women", radius_m=0)


def test_borough_summary_population_weighted():
    supply, demand = _gdfs()
    out = accessibility(supply, demand, "fte", "women", decay="step")
    summary = borough_summary(out, "code")  # population column recorded by accessibility()
    a = out["access_per_100k"].to_numpy()
    # E09000001 = a (1000 women) + b (2000 women): (1000 a + 2000 b) / 3000
    assert summary.loc["E09000001", "access_per_100k"] == pytest.approx(
        (1000 * a[0] + 2000 * a[1]) / 3000
    )
    assert summary.loc["E09000002", "access_per_100k"] == pytest.approx(a[2])
    assert summary["population"].to_dict() == {
        "E09000001": 3000.0, "E09000002": 1000.0, "E09000003": 500.0
    }
    assert summary["points"].tolist() == [2, 1, 1]
    # plain frames need the population column named; zero population -> NaN
    plain = pd.DataFrame({"code": ["X", "Y"], "p": [0.0, 10.0], "access_per_100k": [5.0, 2.0]})
    with pytest.raises(ValueError, match="population_col is needed"):
        borough_summary(plain, "code")
    s = borough_summary(plain, "code", population_col="p")
    assert np.isnan(s.loc["X", "access_per_100k"]) and s.loc["Y", "access_per_100k"] == 2.0
    with pytest.raises(ValueError, match="no column 'borough'"):
        borough_summary(out, "borough")


def test_docstring_examples_run():
    result = doctest.testmod(acc, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4 and result.failed == 0
