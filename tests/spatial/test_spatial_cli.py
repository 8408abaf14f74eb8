"""`python -m commissioning lots | allocate | access` run as a user would (subprocess)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "commissioning", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_lots_csv(tmp_path):
    out = tmp_path / "lots.csv"
    done = cli("lots", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = rows(out.read_text(encoding="utf-8"))
    assert len(table) == 33 and list(table[0]) == ["code", "name", "lot"]
    assert len({r["lot"] for r in table}) == 5
    assert {r["lot"].split(" (")[0] for r in table} == {f"Lot {i}" for i in range(1, 6)}


def test_lots_table_reports_balance():
    done = cli("lots", "--k", "3", "--service", "idva")
    assert done.returncode == 0, done.stderr
    assert "3 contiguous lots balanced on idva need; balance (largest lot's need / mean) = 1.0" in done.stdout
    assert "ILLUSTRATIVE DATA" in done.stdout


def test_allocate_sums_to_posts():
    done = cli("allocate", "--service", "idva", "--posts", "10", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert sum(float(r["added"]) for r in rows(done.stdout)) == pytest.approx(10.0)
    # 500,000 / 45,000 = 11.1 FTE -> 11.0 in half-FTE steps
    done = cli("allocate", "--service", "idva", "--budget", "500000", "--cost-per-post", "45000", "--step", "0.5")
    assert done.returncode == 0, done.stderr
    assert "buys 11 (left over: 5,000)" in done.stdout and "Placed 11 of 11 FTE" in done.stdout
    assert "→" in done.stdout and "coverage" in done.stdout


def test_access_csv():
    done = cli("access", "--service", "idva", "--radius-km", "8", "--decay", "step", "--format", "csv")
    assert done.returncode == 0, done.stderr
    table = rows(done.stdout)
    assert len(table) == 33 and list(table[0]) == ["code", "name", "service", "population", "access_per_100k"]
    assert all(float(r["access_per_100k"]) >= 0 for r in table)


@pytest.mark.parametrize("args,message", [
    (["allocate", "--service", "unicorn", "--posts", "2"], "unknown service 'unicorn'"),
    (["allocate", "--service", "idva", "--posts", "2", "--in", "Atlantis"], "unknown borough 'Atlantis'"),
    (["allocate", "--service", "idva", "--posts", "2", "--budget", "9"], "either --posts or --budget"),
    (["lots", "--k", "0"], "cannot make 0 lots"),
    (["access", "--service", "idva", "--radius-km", "0"], "--radius-km 0"),
])
def test_bad_input_exits_2_without_traceback(args, message):
    done = cli(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
