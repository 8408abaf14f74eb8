"""A needs assessment as of a quarter, recomputed by hand, and the returns command end to end.

By hand (docs/ARCHITECTURE.md): IDVA need_i = adult_women_i x 4 / 100,000; a pan-London capacity C is
apportioned as C x adult_women_i / sum(adult_women); provision_i = own capacity + that share.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from commissioning.needs.assessment import assess
from commissioning.needs.dataset import load_dataset
from commissioning.returns.provision import as_of_quarter
from commissioning.returns.reader import read_returns
from commissioning.store import open_store

REPO = Path(__file__).resolve().parents[2]
TYPES = ["idva", "isva", "refuge", "ld_advocate"]
HEADER = ("provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,waiting_days_median,"
          "clients_surveyed,clients_satisfied")
ROWS = [
    HEADER,
    "Acme Trust,idva,2026Q3,Hackney,3,60,6,50,5,20,18",
    "Acme Trust,idva,2026Q3,London,4,80,,,,,",
    "Hope Refuges,idva,2026Q3,E09000012,1,10,,,,,",         # adds to Acme's Hackney capacity
    "Hope Refuges,refuge,2026Q3,Camden,9,,,,,,",
    "Acme Trust,idva,2026Q2,Hackney,99,,,,,,",                # another quarter: not counted
]
RETURNS = "\n".join(ROWS) + "\n"


def adult_women() -> dict[str, float]:
    with open(REPO / "data" / "population.csv", encoding="utf-8") as handle:
        return {r["code"]: float(r["adult_women"]) for r in csv.DictReader(handle)}


def approved_frame(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(RETURNS, encoding="utf-8")
    frame = read_returns(path, TYPES)
    frame["basis"] = "real"
    return frame


def test_assessment_as_of_a_quarter_by_hand(tmp_path):
    ds = load_dataset()
    dataset, sources = as_of_quarter(ds, approved_frame(tmp_path), "2026Q3")
    gaps = assess(dataset).set_index(["service", "code"])
    women = adult_women()
    total = sum(women.values())
    for code, w in women.items():
        own = 3 + 1 if code == "E09000012" else 0
        provision = own + 4 * w / total
        need = w * 4 / 100_000
        row = gaps.loc[("idva", code)]
        assert row["provision"] == pytest.approx(provision, rel=1e-12)
        assert row["need"] == pytest.approx(need, rel=1e-12)
        assert row["coverage_pct"] == pytest.approx(100 * provision / need, rel=1e-12)
    refuge = gaps.xs("refuge")["provision"]
    assert refuge["E09000007"] == 9 and refuge.drop("E09000007").sum() == 0
    before = assess(ds).set_index(["service", "code"])
    assert (gaps.xs("isva")["provision"] == before.xs("isva")["provision"]).all()    # no returns: services.csv
    assert {s: p.source for s, p in sources.items()} == {
        "idva": "returns", "refuge": "returns", "isva": "illustrative", "ld_advocate": "illustrative"}
    assert sources["idva"].label == "reported in returns (2026Q3, 2 providers)"
    returned = dataset.services.loc[dataset.services["service"] == "refuge"]
    assert returned["confidential"].all() and returned["lat"].isna().all()    # no location reaches anything


def cli(env, *args, input_text=None):
    return subprocess.run([sys.executable, "-m", "commissioning", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=env, check=False)


@pytest.fixture
def env(tmp_path, monkeypatch):
    import os

    env = dict(os.environ, COMMISSIONING_DB=str(tmp_path / "cli.sqlite"), PW="long-password-1")
    store = open_store(tmp_path / "cli.sqlite")
    store.create_user("boss", "long-password-1")
    store.add_member("boss", "acme", "provider", "long-password-2", organisation="Acme Trust")
    store.close()
    return env


def test_returns_cli_end_to_end(tmp_path, env):
    out = tmp_path / "returns.xlsx"
    done = cli(env, "returns", "template", "--out", str(out), "--organisation", "Acme Trust", "--quarter", "2026Q3")
    assert done.returncode == 0, done.stderr
    book = load_workbook(out)
    book["idva"].append(["Hackney", 3, 60, 6, 50, 5, 20, 18, None])
    book.save(out)
    done = cli(env, "returns", "import", str(out), "--by", "acme")
    assert done.returncode == 0 and "submitted for review" in done.stderr, done.stderr
    done = cli(env, "returns", "import", str(out), "--by", "acme", "--approve")
    assert done.returncode == 2 and "cannot approve" in done.stderr
    status = cli(env, "returns", "status", "--quarter", "2026Q3", "--format", "csv")
    assert status.returncode == 0
    rows = list(csv.DictReader(io.StringIO(status.stdout)))
    assert [(r["provider"], r["status"]) for r in rows] == [("Acme Trust", "submitted")]
    # Not approved yet: the assessment still uses services.csv for IDVA.
    before = cli(env, "assess", "--quarter", "2026Q3", "--format", "json")
    assert json.loads(before.stdout)["provenance"]["idva"]["source"] == "illustrative"
    done = cli(env, "returns", "approve", "--quarter", "2026Q3", "--provider", "Acme Trust", "--by", "boss")
    assert done.returncode == 0, done.stderr
    after = cli(env, "assess", "--quarter", "2026Q3", "--format", "csv")
    assert after.returncode == 0, after.stderr
    assert after.stdout.splitlines()[0] == "code,name,service,provision,need,shortfall,coverage_pct,status"
    assert "IDVA (Independent Domestic Violence Adviser): provision reported in returns (2026Q3, 1 provider)" \
        in after.stderr
    assert "ISVA (Independent Sexual Violence Adviser): provision illustrative" in after.stderr
    hackney = next(r for r in csv.DictReader(io.StringIO(after.stdout))
                   if r["code"] == "E09000012" and r["service"] == "idva")
    assert float(hackney["provision"]) == 3.0
    table = cli(env, "assess", "--quarter", "2026Q3")
    assert table.stdout.startswith("Provision as of 2026Q3:")


@pytest.mark.parametrize("args, words", [
    (["returns", "import", "missing.csv", "--by", "boss"], "file not found"),
    (["returns", "status", "--quarter", "2026Q9"], "quarter '2026Q9'"),
    (["returns", "approve", "--quarter", "2026Q3", "--provider", "Nobody", "--by", "boss"], "no return"),
    (["assess", "--quarter", "Q3 2026"], "quarter 'Q3 2026'"),
])
def test_returns_cli_bad_input_exits_2_without_a_traceback(env, args, words):
    done = cli(env, *args)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_provider_cannot_import_another_organisations_return(tmp_path, env):
    path = tmp_path / "other.csv"
    path.write_text(HEADER + "\nAcme Trust,idva,2026Q3,Camden,2,,,,,,\nHope Refuges,refuge,2026Q3,Camden,9,,,,,,\n",
                    encoding="utf-8")
    done = cli(env, "returns", "import", str(path), "--by", "acme")
    assert done.returncode == 2 and "speaks for 'Acme Trust'" in done.stderr
    store = open_store(Path(env["COMMISSIONING_DB"]))
    assert store.returns_list("boss").empty          # all or nothing: Acme's own rows were not kept either
    store.close()
