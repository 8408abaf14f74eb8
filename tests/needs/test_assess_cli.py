"""`python -m commissioning assess` on a data directory the code has never seen.

The expected figures are recomputed here with plain loops from the formulas in
docs/ARCHITECTURE.md (not by calling assessment.py):

    weight w_i   = the need base: population column (rate model) or demand measure (caseload), blank = 0
    provision_i  = sum over services s serving i of capacity_s x w_i / sum_{k in areas_s} w_k
                   (split evenly when every area of s weighs 0)
    need_i       = base_i x per / per_population            (rate)
                 = demand_i x referral_share / cases_per_fte (caseload; blank demand = no figure)
    shortfall_i  = need_i - provision_i
    coverage_i   = 100 x provision_i / need_i, status green >= green_at > amber >= amber_at > red
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from commissioning.boroughs import LONDON_AUTHORITIES

REPO = Path(__file__).resolve().parents[2]
CODES = list(LONDON_AUTHORITIES)
COLUMNS = ["code", "name", "service", "provision", "need", "shortfall", "coverage_pct", "status"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "commissioning", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def unseen(tmp_path_factory):
    """A seeded random data directory: populations, demand (one blank) and 41 services."""
    rng = random.Random(20260412)
    d = tmp_path_factory.mktemp("unseen")
    shutil.copy(REPO / "data" / "benchmarks.yaml", d / "benchmarks.yaml")
    population = {}
    with (d / "population.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "population", "adult_women"])
        for code, name in LONDON_AUTHORITIES.items():
            pop = rng.randint(5_000, 450_000)
            women = rng.randint(pop // 3, pop // 2)
            population[code] = {"population": pop, "adult_women": women}
            w.writerow([code, name, pop, women])
    demand = {}
    with (d / "demand.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "measure", "value", "illustrative"])
        for measure in ("sexual_offences", "marac_cases"):
            for code, name in LONDON_AUTHORITIES.items():
                blank = measure == "sexual_offences" and code == "E09000001"
                value = None if blank else rng.randint(20, 1500)
                demand[(code, measure)] = value
                w.writerow([code, name, measure, "" if value is None else value, "true"])
    services = []
    with (d / "services.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["service_id", "provider", "service", "capacity", "areas", "confidential"])
        for i in range(40):
            service = rng.choice(["idva", "isva", "refuge", "ld_advocate"])
            kind = rng.random()
            if kind < 0.15:
                areas, text = list(CODES), "London"
            elif kind < 0.45:
                areas = rng.sample(CODES, rng.randint(2, 4))
                text = ";".join(areas)
            else:
                areas = [rng.choice(CODES)]
                text = areas[0]
            capacity = round(rng.uniform(0.2, 25.0), 2)
            services.append({"service": service, "capacity": capacity, "areas": areas})
            w.writerow([f"U{i:03d}", f"Provider {i}", service, capacity, text,
                        "true" if service == "refuge" else "false"])
        # the City's sexual offences are blank (weight 0), so this one is split evenly over its one area
        services.append({"service": "isva", "capacity": 1.5, "areas": ["E09000001"]})
        w.writerow(["U900", "Provider City", "isva", 1.5, "E09000001", "false"])
    bench = yaml.safe_load((d / "benchmarks.yaml").read_text(encoding="utf-8"))
    return {"dir": d, "population": population, "demand": demand, "services": services, "bench": bench}


def expected_rows(data: dict, choice: dict[str, str] | None = None) -> list[dict]:
    bench = data["bench"]
    green, amber = bench["status"]["green_at"], bench["status"]["amber_at"]
    rows = []
    for service, spec in bench["services"].items():
        kind = (choice or {}).get(service, spec["use"])
        model = spec["models"][kind]
        need, weight = {}, {}
        for code in CODES:
            if kind == "rate":
                base = data["population"][code][model["base"]]
                weight[code] = base
                need[code] = base * model["per"] / model["per_population"]
            else:
                value = data["demand"][(code, model["measure"])]
                weight[code] = 0.0 if value is None else value
                need[code] = math.nan if value is None else value * model["referral_share"] / model["cases_per_fte"]
        provision = dict.fromkeys(CODES, 0.0)
        for s in data["services"]:
            if s["service"] != service:
                continue
            total = sum(weight[c] for c in s["areas"])
            for c in s["areas"]:
                share = weight[c] / total if total > 0 else 1 / len(s["areas"])
                provision[c] += s["capacity"] * share
        # a need that prints as nothing (under 0.05 FTE, under half a place) has status "no need", no coverage
        smallest = 0.5 if spec["unit"] in ("spaces", "places") else 0.05
        for code in CODES:
            n, p = need[code], provision[code]
            coverage = 100 * p / n if n >= smallest else math.nan
            if abs(n) < smallest:
                status = "no need"
            elif math.isnan(coverage):
                status = "n/a"
            else:
                status = "green" if coverage >= green else "amber" if coverage >= amber else "red"
            rows.append({"code": code, "name": LONDON_AUTHORITIES[code], "service": service, "provision": p,
                         "need": n, "shortfall": n - p, "coverage_pct": coverage, "status": status})
    return rows


def compare(text: str, expected: list[dict]) -> None:
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == COLUMNS
    got = list(reader)
    assert len(got) == len(expected) == 33 * 4
    for g, e in zip(got, expected):
        for key in ("code", "name", "service", "status"):
            assert g[key] == e[key], (e["code"], e["service"], key)
        for key in ("provision", "need", "shortfall", "coverage_pct"):
            if math.isnan(e[key]):
                assert g[key] == "", (e["code"], e["service"], key)
            else:
                assert float(g[key]) == pytest.approx(e[key], rel=1e-9, abs=1e-9), (e["code"], e["service"], key)


def test_csv_follows_the_formulas(unseen):
    result = cli("assess", "--data", str(unseen["dir"]), "--format", "csv")
    assert result.returncode == 0, result.stderr
    compare(result.stdout, expected_rows(unseen))
    # the data set exercises the special cases: a blank demand figure and a zero weight
    assert ",isva," in result.stdout and "n/a" in result.stdout


def test_model_switch(unseen):
    result = cli("assess", "--data", str(unseen["dir"]), "--format", "csv", "--model", "idva=caseload")
    assert result.returncode == 0, result.stderr
    compare(result.stdout, expected_rows(unseen, {"idva": "caseload"}))


def test_json_parses(unseen, tmp_path):
    out = tmp_path / "gaps.json"
    result = cli("assess", "--data", str(unseen["dir"]), "--format", "json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["rows"]) == 33 * 4 and list(doc["rows"][0]) == COLUMNS
    assert "demand:sexual_offences" in doc["illustrative"]
    totals = {t["service"]: t for t in doc["totals"]}
    expected = expected_rows(unseen)
    refuge_provision = sum(r["provision"] for r in expected if r["service"] == "refuge")
    assert totals["refuge"]["provision"] == pytest.approx(refuge_provision, rel=1e-9)
    assert doc["models"]["idva"]["model"] == "rate"


@pytest.mark.parametrize("edit, message", [
    (lambda d: (d / "services.csv").write_text(
        (d / "services.csv").read_text(encoding="utf-8") + "Z1,Bad,idva,-1,E09000012,false\n", encoding="utf-8"),
     "services.csv, line 43, column 'capacity': -1 is below 0"),
    (lambda d: (d / "population.csv").write_text(
        (d / "population.csv").read_text(encoding="utf-8").replace("E09000012,Hackney", ",Hackny"), encoding="utf-8"),
     "population.csv, line 13, column 'name': unknown borough 'Hackny'"),
])
def test_bad_input_exit_2_without_traceback(unseen, tmp_path, edit, message):
    d = tmp_path / "bad"
    shutil.copytree(unseen["dir"], d)
    edit(d)
    result = cli("assess", "--data", str(d), "--format", "csv")
    assert result.returncode == 2
    assert message in result.stderr and str(d) in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_unknown_model_is_an_input_error(unseen):
    result = cli("assess", "--data", str(unseen["dir"]), "--model", "idva=magic")
    assert result.returncode == 2 and "service 'idva' has no model 'magic'" in result.stderr
    assert "Traceback" not in result.stderr


def test_csv_of_illustrative_data_says_so_on_stderr(tmp_data_dir):
    proc = cli("assess", "--format", "csv")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0] == "code,name,service,provision,need,shortfall,coverage_pct,status"
    assert proc.stderr.startswith("ILLUSTRATIVE DATA:") and "services (111 of 111 rows)" in proc.stderr
    # A data set with nothing illustrative prints no mark.
    for name in ("services.csv", "demand.csv"):
        rows = list(csv.DictReader(open(tmp_data_dir / name, encoding="utf-8")))
        for row in rows:
            row["illustrative"] = "false"
        with open(tmp_data_dir / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    bench = (tmp_data_dir / "benchmarks.yaml").read_text().replace("illustrative: true", "illustrative: false")
    (tmp_data_dir / "benchmarks.yaml").write_text(bench)
    proc = cli("assess", "--format", "csv", "--data", str(tmp_data_dir))
    assert proc.returncode == 0 and "ILLUSTRATIVE" not in proc.stderr


def test_out_into_a_file_instead_of_a_folder_is_a_message(tmp_path):
    (tmp_path / "blocked").write_text("a file, not a folder")
    proc = cli("assess", "--format", "csv", "--out", str(tmp_path / "blocked" / "gaps.csv"))
    assert proc.returncode == 2 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr
