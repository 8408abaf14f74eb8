"""Rebuild the embedded default data set in data/ (run once; the outputs are committed).

Real figures are copied from ../shared/data/real (see its SOURCES.md):
- population: ONS Census 2021 usual residents, 15+ count and female share (33/33 authorities);
- demand: MPS recorded rape and other sexual offences, Oct 2024 - Sep 2025 (32/33).
Everything else is ILLUSTRATIVE, generated here with a fixed seed, plausible in size, and marked
``illustrative=true`` row by row: domestic-abuse offences, MARAC cases, City of London sexual
offences, and every service (FTE, refuge spaces, coordinates).

    python tools/make_default_data.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261128

CENSUS = "ONS Census 2021 usual residents (via ONSvisual/census-quiz), OGL v3"
ADULT_WOMEN_METHOD = ("derived: census2021_age_15_plus x census2021_female_pct / 100 "
                      "(assumes the all-ages female share holds for ages 15+)")
MPS = "MPS recorded crime, London Datastore 'MPS Borough Level Crime', OGL v2"


def population(real: Path) -> pd.DataFrame:
    census = pd.read_csv(real / "population_census2021_borough.csv")
    out = pd.DataFrame({
        "code": census["code"],
        "name": census["name"],
        "population": census["census2021_usual_residents"],
        "adult_women": (census["census2021_age_15_plus"] * census["census2021_female_pct"] / 100).round().astype(int),
        "age_15_plus": census["census2021_age_15_plus"],
        "female_pct": census["census2021_female_pct"],
        "year": 2021,
        "source": CENSUS,
        "adult_women_method": ADULT_WOMEN_METHOD,
    })
    return out


def demand(real: Path, pop: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    sx = pd.read_csv(real / "mps_sexual_offences_borough_12m.csv")
    rows = []
    period = "2024-10/2025-09"
    for _, r in sx.iterrows():
        for measure, col in (("sexual_offences", "sexual_offences_total_2024-10_to_2025-09"),
                             ("rape_offences", "rape_offences_2024-10_to_2025-09")):
            if pd.notna(r[col]):
                rows.append((r["code"], r["name"], measure, int(r[col]), period, MPS, False,
                             "real: MPS recorded offences by location of offence"))
            else:
                # City of London is policed by the City of London Police, not in the MPS file.
                value = 60 if measure == "sexual_offences" else 20
                rows.append((r["code"], r["name"], measure, value, period,
                             "illustrative placeholder (City of London Police figure not held)", True,
                             "illustrative: no MPS figure for the City of London"))
    # Illustrative domestic-abuse offences: ~10 per 1,000 residents, varied by borough; the MPS
    # records roughly 90,000 domestic-abuse offences a year London-wide.
    rate = rng.normal(10.0, 1.8, len(pop)).clip(6.5, 13.5)
    da = (pop["population"] * rate / 1000).round().astype(int)
    # SafeLives expects 40 MARAC cases per 10,000 adult women; illustrative local variation.
    marac = (pop["adult_women"] * 40 / 10_000 * rng.normal(1.0, 0.15, len(pop)).clip(0.7, 1.3)).round().astype(int)
    for i, r in pop.iterrows():
        rows.append((r["code"], r["name"], "domestic_abuse_offences", int(da[i]), "2025-03/2026-02",
                     "illustrative (no complete public borough table)", True,
                     "illustrative: replace with `python -m commissioning import mps-vawg` or local data"))
        rows.append((r["code"], r["name"], "marac_cases", int(marac[i]), "2025-03/2026-02",
                     "illustrative (SafeLives MARAC data not held)", True,
                     "illustrative: around SafeLives' 40 per 10,000 adult women"))
    return pd.DataFrame(rows, columns=["code", "name", "measure", "value", "period", "source",
                                       "illustrative", "note"])


def _point_in(geom, rng: np.random.Generator) -> Point:
    minx, miny, maxx, maxy = geom.bounds
    while True:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if geom.contains(p):
            return p


SPECIALISMS = ["", "", "", "by-and-for Black and minoritised women", "LGBT+", "deaf and disabled",
               "young people", "male victims"]
PROVIDERS = ["Hearthstone Advocacy (illustrative)", "Northbank Women's Trust (illustrative)",
             "Safe Passage London (illustrative)", "Riverside Refuge Collective (illustrative)",
             "Sahara Sisters (illustrative)", "Rainbow Safety Project (illustrative)",
             "Signpost Deaf Advocacy (illustrative)", "Youth Safe Advocacy (illustrative)"]


def services(pop: pd.DataFrame, rng: np.random.Generator, boundaries: gpd.GeoDataFrame) -> pd.DataFrame:
    geoms = boundaries.set_index("code").geometry
    rows = []
    n = 0

    def add(provider, service, capacity, areas, point, confidential, specialism, note):
        nonlocal n
        n += 1
        rows.append({
            "service_id": f"S{n:03d}", "provider": provider, "service": service,
            "capacity": capacity, "areas": areas,
            "lat": round(point.y, 5) if point is not None else "",
            "lon": round(point.x, 5) if point is not None else "",
            "confidential": str(confidential).lower(), "specialism": specialism,
            "illustrative": "true", "note": note,
        })

    for _, r in pop.iterrows():
        code = r["code"]
        if code == "E09000001":
            continue  # the City is served by the pan-London and neighbouring services below
        # IDVA: roughly 45-110% of the SafeLives rate, so some boroughs fall short.
        idva_need = r["adult_women"] * 4 / 100_000
        add(PROVIDERS[int(rng.integers(0, 3))], "idva", round(float(idva_need * rng.uniform(0.45, 1.1)), 1),
            code, _point_in(geoms[code], rng), False, "", "illustrative borough IDVA service")
        if rng.random() < 0.35:
            add(PROVIDERS[4 + int(rng.integers(0, 4))], "idva", round(float(rng.uniform(0.5, 2.0)), 1), code,
                _point_in(geoms[code], rng), False, SPECIALISMS[3 + int(rng.integers(0, 5))],
                "illustrative specialist IDVA")
        # Refuge: spaces at 30-110% of the Council of Europe standard; Lambeth's 52 council-funded
        # beds were reported in the Safer Lambeth Partnership Scrutiny Report 2021 (see SOURCES).
        spaces = 52 if code == "E09000022" else int(round(r["population"] / 10_000 * rng.uniform(0.3, 1.1)))
        for part in ([spaces] if spaces < 20 else [spaces // 2, spaces - spaces // 2]):
            add(PROVIDERS[3], "refuge", part, code, _point_in(geoms[code], rng), True,
                SPECIALISMS[int(rng.integers(0, len(SPECIALISMS)))],
                "Lambeth total is the reported 52 council-funded beds (2021); location illustrative"
                if code == "E09000022" else "illustrative refuge")
        if rng.random() < 0.5:
            add(PROVIDERS[int(rng.integers(0, 3))], "isva", round(float(rng.uniform(0.5, 2.5)), 1), code,
                _point_in(geoms[code], rng), False, "", "illustrative borough ISVA")
    centre = Point(-0.1276, 51.5072)
    add("Pan-London IDVA Partnership (illustrative)", "idva", 24.0, "London", centre, False, "",
        "illustrative pan-London high-risk IDVA service")
    add("Pan-London ISVA Service (illustrative)", "isva", 38.0, "London", centre, False, "",
        "illustrative pan-London ISVA service (Havens/Rape Crisis style)")
    add("West London Tri-borough Advocacy (illustrative)", "idva", 6.0, "E09000013;E09000020;E09000033",
        _point_in(geoms["E09000020"], rng), False, "", "illustrative shared service across three boroughs")
    add("Sahara Sisters (illustrative)", "isva", 3.0, "E09000025;E09000030;E09000012",
        _point_in(geoms["E09000030"], rng), False, SPECIALISMS[3], "illustrative by-and-for ISVA")
    add("Access Advocacy (illustrative)", "ld_advocate", 6.0, "London", centre, False,
        "adults with learning disabilities", "illustrative learning-disability IDVA (review recommendation 8)")
    add("Signpost Deaf Advocacy (illustrative)", "ld_advocate", 1.5, "E09000007;E09000019",
        _point_in(geoms["E09000007"], rng), False, "deaf and disabled", "illustrative")
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    real = args.shared / "data" / "real"
    rng = np.random.default_rng(SEED)
    boundaries = gpd.read_file(ROOT / "boroughs_geo" / "london_boroughs.geojson")
    pop = population(real)
    pop.to_csv(ROOT / "data" / "population.csv", index=False)
    demand(real, pop, rng).to_csv(ROOT / "data" / "demand.csv", index=False)
    services(pop, rng, boundaries).to_csv(ROOT / "data" / "services.csv", index=False)


if __name__ == "__main__":
    main()
