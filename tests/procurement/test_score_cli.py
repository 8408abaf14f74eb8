"""``python -m commissioning score``: output, and exit 2 with file, line and column on bad input."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from commissioning.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "scoring"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "commissioning", "score", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture()
def files(tmp_path):
    for name in ("rules.yaml", "bids.csv", "scores.csv", "moderation.csv"):
        shutil.copy(FIX / name, tmp_path / name)
    return tmp_path


def _args(d, moderation=True):
    args = ["score", "--rules", d / "rules.yaml", "--bids", d / "bids.csv", "--scores", d / "scores.csv"]
    return [str(a) for a in args + (["--moderation", d / "moderation.csv"] if moderation else [])]


def _edit(path: Path, line: int, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` on editor line ``line`` (1 = header)."""
    lines = path.read_text().splitlines(keepends=True)
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines))


def test_cli_ranks_the_fixture_round(files):
    run = _cli("--rules", files / "rules.yaml", "--bids", files / "bids.csv", "--scores",
               files / "scores.csv", "--moderation", files / "moderation.csv")
    assert run.returncode == 0, run.stderr
    out = pd.read_csv(io.StringIO(run.stdout))
    assert list(out.columns) == ["bid_id", "lot", "quality", "social_value", "price", "total", "rank",
                                 "status", "reasons"]
    # Hand computation in tests/test_scoring.py::test_hand_computed_round.
    got = dict(zip(out["bid_id"], zip(out["total"].fillna(-1), out["rank"].fillna(0), out["status"])))
    assert got == {"A1": (69, 1, "flagged"), "A5": (68, 2, "flagged"), "A2": (66.75, 3, "ranked"),
                   "A3": (-1, 0, "failed"), "A4": (-1, 0, "failed"), "B1": (72, 1, "ranked"),
                   "B3": (72, 2, "ranked"), "B2": (72, 3, "ranked")}

    target = files / "out" / "ranking.csv"
    target.parent.mkdir()
    run = _cli("--rules", files / "rules.yaml", "--bids", files / "bids.csv", "--scores",
               files / "scores.csv", "--out", target)
    assert run.returncode == 0 and run.stdout == ""
    # Without moderation A2's Q2 is the panel median 3: 18 + 18 + 6 + 18.75 = 60.75.
    assert pd.read_csv(target).set_index("bid_id").loc["A2", "total"] == 60.75


def test_cli_default_rules_and_example_round():
    example = ROOT / "data" / "example_bids"
    run = _cli("--bids", example / "bids.csv", "--scores", example / "scores.csv",
               "--moderation", example / "moderation.csv")
    assert run.returncode == 0, run.stderr
    out = pd.read_csv(io.StringIO(run.stdout))
    assert set(out["status"]) == {"ranked", "flagged", "failed"}
    assert (out.groupby("lot")["rank"].min() == 1).all()


def test_cli_bad_input_exit_2_via_subprocess(files):
    _edit(files / "bids.csv", 3, "80000", "80k")
    run = _cli("--rules", files / "rules.yaml", "--bids", files / "bids.csv", "--scores", files / "scores.csv")
    assert run.returncode == 2
    assert run.stderr.strip() == ("error: bids.csv, line 3, column 'price': '80k' is not a number "
                                  "(expected a positive amount such as 125000)")
    assert "Traceback" not in run.stderr


def _header_drop(path: Path, column: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=column).to_csv(path, index=False)


CASES = [
    # (file, editor, expected start of the message)
    ("bids.csv", lambda p: _header_drop(p, "price"), "bids.csv, line 1, column 'price': missing column"),
    ("bids.csv", lambda p: _edit(p, 4, "30000", "-30000"), "bids.csv, line 4, column 'price': price -30000 is not positive"),
    ("bids.csv", lambda p: _edit(p, 5, ",pass,", ",yes,"), "bids.csv, line 5, column 'gate_safeguarding': 'yes' is not pass or fail"),
    ("bids.csv", lambda p: _header_drop(p, "gate_safeguarding"), "bids.csv, line 1, column 'gate_safeguarding': missing column"),
    ("bids.csv", lambda p: _edit(p, 6, "2027-06-01T14:00:00", "1st June"), "bids.csv, line 6, column 'submitted_at': '1st June' is not a timestamp"),
    ("bids.csv", lambda p: _edit(p, 9, "B3,", "B2,"), "bids.csv, line 9, column 'bid_id': duplicate bid id 'B2'"),
    ("scores.csv", lambda p: _edit(p, 5, ",3,", ",7,"), "scores.csv, line 5, column 'score': score 7 is outside the scale (0..5)"),
    ("scores.csv", lambda p: _edit(p, 7, ",Q2,", ",Q9,"), "scores.csv, line 7, column 'criterion': unknown criterion 'Q9'"),
    ("scores.csv", lambda p: _edit(p, 11, "A2,", "Z9,"), "scores.csv, line 11, column 'bid_id': unknown bid id 'Z9'"),
    ("scores.csv", lambda p: _edit(p, 3, "s2,", "s1,"), "scores.csv, line 3: duplicate (bid, scorer, criterion)"),
    ("scores.csv", lambda p: _edit(p, 2, ",4,", ",four,"), "scores.csv, line 2, column 'score': 'four' is not a number"),
    ("moderation.csv", lambda p: p.write_text("bid_id,criterion,score,note\nA2,Q2,4,\n"),
     "moderation.csv, line 2, column 'note': empty value"),
    ("moderation.csv", lambda p: p.write_text("bid_id,criterion,score,note\n\nA2,Q2,4,ok\nA2,Q2,3,again\n"),
     "moderation.csv, line 4: duplicate (bid, criterion)"),
    ("scores.csv", lambda p: p.write_text(""), "scores.csv: file is empty"),
    ("bids.csv", lambda p: p.write_text("bid_id,organisation,lot,price,submitted_at,gate_safeguarding\n"),
     "bids.csv, line 2: no data rows"),
    ("bids.csv", lambda p: p.write_bytes(p.read_bytes().replace(b"Elm Advice", b"Elm \xe9 Advice")),
     "bids.csv, line 6, column 'organisation': not valid UTF-8 (byte 0xe9)"),
    ("bids.csv", lambda p: _edit(p, 2, ",pass,", ",pass,extra,"), "bids.csv, line 2: 8 fields, the header has 7"),
    ("rules.yaml", lambda p: p.write_text(p.read_text().replace("weight: 50, min_score: 2", "weight: 60, min_score: 2")),
     "rules.yaml: criteria: weights of the quality criteria sum to 110, must sum to 100"),
]


@pytest.mark.parametrize("name, editor, message", CASES, ids=[c[2].split(": ", 1)[1][:45] for c in CASES])
def test_cli_bad_input(files, capsys, name, editor, message):
    editor(files / name)
    assert main(_args(files)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + message), err


def test_missing_file_and_unwritable_out(files, capsys):
    assert main(["score", "--rules", str(files / "rules.yaml"), "--bids", str(files / "nope.csv"),
                 "--scores", str(files / "scores.csv")]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err
    (files / "blocked").write_text("a file, not a folder")
    assert main(_args(files) + ["--out", str(files / "blocked" / "r.csv")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_need_alignment_is_scored_from_the_data_by_default(tmp_path, tmp_data_dir):
    import yaml
    from test_scoring import NEED_RULES

    # In a copy of the embedded data, give Barnet (E09000003) no IDVA service and Barking and
    # Dagenham (E09000002) 50 FTE, so Barnet has an IDVA gap and Barking and Dagenham a surplus.
    services = pd.read_csv(tmp_data_dir / "services.csv", dtype=str, keep_default_na=False)
    services = services[~((services["service"] == "idva") & services["areas"].isin(["E09000003", "E09000002"]))]
    extra = services.iloc[[0]].assign(service_id="X1", service="idva", capacity="50", areas="E09000002")
    pd.concat([services, extra]).to_csv(tmp_data_dir / "services.csv", index=False)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(NEED_RULES), encoding="utf-8")
    (tmp_path / "bids.csv").write_text(
        "bid_id,organisation,lot,price,submitted_at,areas\n"
        "N1,Oak,L,100,2027-06-01T09:00,E09000003:2;E09000002:2\n"
        "N2,Pine,L,100,2027-06-01T10:00,E09000002:4\n", encoding="utf-8")
    (tmp_path / "scores.csv").write_text(
        "bid_id,scorer,criterion,score,comment\n"
        "N1,s1,Q1,3,ok\nN1,s1,SV1,3,ok\nN2,s1,Q1,3,ok\nN2,s1,SV1,3,ok\n", encoding="utf-8")
    proc = _cli("--rules", tmp_path / "rules.yaml", "--bids", tmp_path / "bids.csv",
                "--scores", tmp_path / "scores.csv", "--data", tmp_data_dir)
    assert proc.returncode == 0, proc.stderr
    ranking = pd.read_csv(io.StringIO(proc.stdout)).set_index("bid_id")
    # N1 places half its capacity in a gap: N1 = 0 + 0.5 × 5 = 2.5, quality = 60 × (0.5 × 3/5 + 0.5 × 2.5/5) = 33.
    # N2 places none: quality = 60 × (0.5 × 3/5 + 0) = 18.
    assert ranking.loc["N1", "quality"] == pytest.approx(33)
    assert ranking.loc["N2", "quality"] == pytest.approx(18)


def test_score_takes_the_chairs_decisions(files, capsys):
    (files / "decisions.csv").write_text("bid_id,flag,note\nA5,price,Explained: volunteer model\n",
                                         encoding="utf-8")
    assert main(_args(files) + ["--decisions", str(files / "decisions.csv")]) == 0
    ranking = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("bid_id")
    assert ranking.loc["A5", "status"] == "ranked"
    assert ranking.loc["A5", "reasons"].endswith("; decided: Explained: volunteer model")
    assert ranking.loc["A1", "status"] == "flagged"          # its Q2 spread is not decided
    (files / "decisions.csv").write_text("bid_id,flag,note\nA5,prize,x\n", encoding="utf-8")
    assert main(_args(files) + ["--decisions", str(files / "decisions.csv")]) == 2
    assert "decisions.csv, line 2, column 'flag': 'prize' is not a flag" in capsys.readouterr().err
