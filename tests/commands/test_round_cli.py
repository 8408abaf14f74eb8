"""A real round end to end through `python -m commissioning round ...` (in-process), on the example
bids: create, intake (a late bid refused and logged), sealing, scores, rank (= `score`, byte for
byte), flags blocking the lock, clarification and decisions, lock, assessment summaries (checked
by their text) and 360Giving awards (validated against the official schema)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from pypdf import PdfReader
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from commissioning import cli
from commissioning.store import open_store

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "data" / "example_bids"
RULES = REPO / "scoring_rules" / "default.yaml"
G360 = Path(__file__).resolve().parents[1] / "fixtures" / "360giving"
SCORERS = ("panel-a", "panel-b", "panel-c")


def run(capsys, monkeypatch, now: str | None, *argv) -> tuple[int, str, str]:
    if now:
        monkeypatch.setenv("COMMISSIONING_NOW", now)
    else:
        monkeypatch.delenv("COMMISSIONING_NOW", raising=False)
    code = cli.main(["round", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def grant_validators():
    grant = json.loads((G360 / "360-giving-schema.json").read_text())
    package = json.loads((G360 / "360-giving-package-schema.json").read_text())
    # the files name their dialect with http://, which `referencing` does not know: say it is 2020-12
    resource = DRAFT202012.create_resource(grant)
    # the package schema refers to the grant schema by its 1.4.2 address; the file is 1.4.3
    registry = Registry().with_resources([(grant["$id"], resource),
                                          (grant["$id"].replace("1.4.3", "1.4.2"), resource)])
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert "date-time" in checker.checkers  # rfc3339-validator installed: date-time really checked
    return (jsonschema.Draft202012Validator(grant, format_checker=checker, registry=registry),
            jsonschema.Draft202012Validator(package, format_checker=checker, registry=registry))


@pytest.fixture
def round_files(tmp_path):
    """The example bids plus one late bid (submitted a minute after the deadline, London time)."""
    shutil.copy(EXAMPLE / "answers.csv", tmp_path / "answers.csv")
    rows = list(csv.reader((EXAMPLE / "bids.csv").open(encoding="utf-8")))
    late = list(rows[1])
    late[0], late[1], late[4] = "NE-09", "Latecomers Trust (fictional)", "2027-06-05T00:01:00+01:00"
    with (tmp_path / "bids.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows + [late])
    return tmp_path


def test_round_lifecycle_through_the_cli(tmp_path, round_files, capsys, monkeypatch):
    db = tmp_path / "round.sqlite"
    monkeypatch.setenv("COMMISSIONING_DB", str(db))
    store = open_store(db)
    store.create_user("boss", "lantern orbit meadow 42", role="commissioner")
    store.add_member("boss", "chair-kim", role="chair", display_name="Kim Okafor")
    store.close()

    # Three-month rule at creation: published 1 Feb 2027, bids invited 20 Apr 2027 -> refused.
    code, out, err = run(capsys, monkeypatch, "2027-02-01T09:00:00+00:00",
                         "create", "--name", "Too late", "--rules", RULES, "--by", "boss")
    assert code == 2 and "1 May 2027" in err and out == ""
    code, out, err = run(capsys, monkeypatch, "2027-01-10T09:00:00+00:00",
                         "create", "--name", "Victim support 2027", "--rules", RULES, "--by", "boss")
    assert code == 0
    rid = int(out.strip().splitlines()[-1])
    assert "bids close 2027-06-04T23:00:00+00:00" in err  # midnight London (BST) = 23:00 UTC

    after = "2027-06-05T10:00:00+01:00"
    # After the deadline the whole import is refused, the late bid with the rest (each logged).
    code, _, err = run(capsys, monkeypatch, after, "import-bids", "--round", rid, "--bids",
                       round_files / "bids.csv", "--answers", round_files / "answers.csv", "--by", "boss")
    assert code == 2 and "none of the 10 bids was imported" in err
    # Before it, a bid dated later than now is refused (nothing stored); without it all 9 come in.
    code, _, err = run(capsys, monkeypatch, "2027-06-04T23:00:00+01:00", "import-bids", "--round", rid,
                       "--bids", round_files / "bids.csv", "--answers", round_files / "answers.csv", "--by", "boss")
    assert code == 2 and "line 11, column 'submitted_at': bid NE-09 is dated" in err
    rows = (round_files / "bids.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (round_files / "bids.csv").write_text("".join(rows[:-1]), encoding="utf-8")
    code, _, err = run(capsys, monkeypatch, "2027-06-04T23:00:00+01:00", "import-bids", "--round", rid,
                       "--bids", round_files / "bids.csv", "--answers", round_files / "answers.csv", "--by", "boss")
    assert code == 0 and "imported 9 bids" in err
    store = open_store(db)
    log = store.audit_log("boss", rid)
    refused = log[log["action"] == "bid.refuse_late"]
    assert len(refused) == 10 and "bid NE-09" in refused["entity"].tolist()
    publish = json.loads(log[log["action"] == "round.publish"]["new_value"].iloc[0])
    assert len(publish["rules_sha256"]) == 64 and publish["supersedes"] == []
    assert store.bid_answers("boss", store.bid_key(rid, "NE-01"), now=dt.datetime(2027, 6, 6, tzinfo=dt.UTC))["Q1"].startswith("(Illustrative answer) Our 3 boroughs")
    store.close()

    # Sealed until the deadline: scores cannot come in before it.
    code, _, err = run(capsys, monkeypatch, "2027-06-04T12:00:00+01:00", "import-scores", "--round", rid,
                       "--scores", EXAMPLE / "scores.csv", "--by", "boss")
    assert code == 2 and "sealed until" in err
    code, _, err = run(capsys, monkeypatch, after, "import-scores", "--round", rid, "--scores",
                       EXAMPLE / "scores.csv", "--moderation", EXAMPLE / "moderation.csv", "--by", "boss")
    assert code == 0 and "imported 243 scores and 2 moderated scores" in err

    # rank == score, byte for byte
    code, ranked, _ = run(capsys, monkeypatch, after, "rank", "--round", rid, "--by", "boss")
    assert code == 0
    assert cli.main(["score", "--bids", str(EXAMPLE / "bids.csv"), "--scores", str(EXAMPLE / "scores.csv"),
                     "--moderation", str(EXAMPLE / "moderation.csv")]) == 0
    scored, _ = capsys.readouterr()
    assert ranked == scored and ranked.startswith("bid_id,lot,quality,social_value,price,total,rank,status,reasons")

    # Lock refused, naming the two bids with open flags; a panel member may not resolve.
    code, _, err = run(capsys, monkeypatch, after, "lock", "--round", rid, "--by", "boss")
    assert code == 2 and "W-02 (Q4 panel scores range from 2 to 4" in err
    assert "NE-03 (abnormally low price: £228,000 is under 70% of the lot median £365,000)" in err
    assert "NE-01" not in err
    code, _, err = run(capsys, monkeypatch, after, "resolve", "--round", rid, "--bid", "NE-03",
                       "--note", "x", "--by", "panel-a")
    assert code == 2 and "may not" in err
    code, _, err = run(capsys, monkeypatch, after, "clarify", "--round", rid, "--bid", "NE-03", "--question",
                       "How does the price cover 5 FTE?", "--answer", "Volunteer-supported; appendix D", "--by", "boss")
    assert code == 0
    for bid, note in (("NE-03", "Explanation accepted: costs checked against appendix D"),
                      ("W-02", "Chair reviewed the Q4 notes: the median stands")):
        code, _, err = run(capsys, monkeypatch, after, "resolve", "--round", rid, "--bid", bid, "--note", note,
                           "--by", "chair-kim" if bid == "W-02" else "boss")
        assert code == 0 and f"resolved {bid}" in err
    code, _, err = run(capsys, monkeypatch, after, "resolve", "--round", rid, "--bid", "NE-01", "--note", "n",
                       "--by", "boss")
    assert code == 2 and "no open flag" in err
    code, _, _ = run(capsys, monkeypatch, after, "lock", "--round", rid, "--by", "boss")
    assert code == 0

    # The recorded decisions are the one source of "cleared": the ranking CSV quotes them, both bids
    # are ranked, and the scores and ranks are those of `score` (the CSV above) unchanged.
    code, ranked_after, _ = run(capsys, monkeypatch, after, "rank", "--round", rid, "--by", "boss")
    rows = {r["bid_id"]: r for r in csv.DictReader(ranked_after.splitlines())}
    before = {r["bid_id"]: r for r in csv.DictReader(ranked.splitlines())}
    assert code == 0 and "ask the bidder" not in ranked_after and "flagged" not in ranked_after
    assert (rows["NE-03"]["status"], rows["W-02"]["status"]) == ("ranked", "ranked")
    assert rows["NE-03"]["reasons"] == ("abnormally low price: £228,000 is under 70% of the lot median £365,000; "
                                        "decided: Explanation accepted: costs checked against appendix D")
    assert rows["W-02"]["reasons"].endswith("; decided: Chair reviewed the Q4 notes: the median stands")
    assert all(rows[b][k] == before[b][k] for b in rows for k in ("total", "rank"))
    # The locked round's evaluation report quotes the same decisions.
    from commissioning.web.appdata import evaluation_report_pdf

    store = open_store(db)
    report = " ".join(evaluation_report_pdf(store, "boss", int(rid), format="html").split())
    store.close()
    assert "ask the bidder" not in report and "(flagged)" not in report
    assert "None: no ranked bid has a flag without a recorded decision." in report
    assert "decided: Explanation accepted: costs checked against appendix D" in report
    assert "abnormally low: decided" in report and "Ranked, flags decided" in report

    # Assessment summaries: one per assessed bid; own and the winner's, no other bid, no scorer.
    # Issued once, with one notice date; the output folder is created when missing.
    out_dir = tmp_path / "summaries" / "issued"
    code, _, err = run(capsys, monkeypatch, after, "summaries", "--round", rid, "--out-dir", out_dir,
                       "--notice-date", "2027-06-21", "--by", "boss")
    assert code == 0 and "issued the assessment summaries with notice date 2027-06-21" in err
    code, _, err = run(capsys, monkeypatch, after, "summaries", "--round", rid, "--out-dir", out_dir,
                       "--notice-date", "2027-06-22", "--by", "boss")
    assert code == 2 and "issued with notice date 2027-06-21" in err and "Traceback" not in err
    assert sorted(p.stem for p in out_dir.glob("*.pdf")) == sorted(
        ["NE-01", "NE-02", "NE-03", "S-01", "S-02", "S-03", "W-01", "W-02", "W-03"])
    text = "\n".join(p.extract_text() for p in PdfReader(out_dir / "NE-02.pdf").pages)
    flat = " ".join(text.split())
    assert "Your bid: NE-02" in flat and "The winning bid: NE-01" in flat
    assert "ranked 3 of 3 in the lot with 64.94 of 100 points" in flat
    assert "the winning bid scored 74.20, 9.26 points more" in flat
    assert "Q1: meets the minimum with gaps (a panel member)" in flat           # a reason, anonymised
    assert "Moderation: Moderated to 3: good evidence on young" in flat            # the reason for the bidder
    assert "Panel scores ranged widely" not in flat                               # never the chair's note
    assert "issued to every bidder on 21 June 2027" in flat
    assert "22 June 2027 to the end of 1 July 2027" in flat                       # 8 working days
    for other in ("NE-03", "S-01", "S-02", "S-03", "W-01", "W-02", "W-03", "Eastgate"):
        assert other not in flat
    for name in SCORERS + ("chair-kim", "Okafor", "boss"):
        assert name not in text
    winner = " ".join("\n".join(p.extract_text() for p in PdfReader(out_dir / "NE-01.pdf").pages).split())
    assert "ranked first of 3" in winner and "NE-02" not in winner and "The winning bid:" not in winner
    page = (out_dir / "NE-02.html").read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in page and "<caption>Your bid: NE-02" in page and "NE-01" in page
    assert not any(other in page for other in ("NE-03", "S-01", "W-01", "panel-a", "panel-b", "panel-c"))
    failed = " ".join("\n".join(p.extract_text() for p in PdfReader(out_dir / "S-02.pdf").pages).split())
    assert "did not meet the pass/fail requirement safeguarding" in failed and "The winning bid: S-01" in failed

    # Awards: 360Giving JSON and CSV, every record valid against the official schema.
    code, _, _ = run(capsys, monkeypatch, after, "awards", "--round", rid, "--funder-id", "GB-GOR-PB8",
                     "--funder-name", "Mayor's Office for Policing and Crime", "--id-prefix", "360G-mopac",
                     "--out", tmp_path / "awards.json", "--by", "boss")
    assert code == 0
    package = json.loads((tmp_path / "awards.json").read_text())
    grant_schema, package_schema = grant_validators()
    package_schema.validate(package)
    for grant in package["grants"]:
        grant_schema.validate(grant)
        assert {loc["geoCodeType"] for loc in grant["beneficiaryLocation"]} == {"LONB"}
    assert [g["id"] for g in package["grants"]] == ["360G-mopac-NE-01", "360G-mopac-S-01", "360G-mopac-W-01"]
    codes = {row["Code"] for row in csv.DictReader((G360 / "geoCodeType.csv").open(encoding="utf-8"))}
    assert "LONB" in codes and "LAD" not in codes
    code, _, _ = run(capsys, monkeypatch, after, "awards", "--round", rid, "--funder-id", "GB-GOR-PB8",
                     "--funder-name", "MOPAC", "--id-prefix", "360G-mopac", "--format", "csv",
                     "--out", tmp_path / "awards.csv", "--by", "boss")
    frame = pd.read_csv(tmp_path / "awards.csv")
    assert code == 0 and frame["Identifier"].tolist() == ["360G-mopac-NE-01", "360G-mopac-S-01", "360G-mopac-W-01"]
    assert set(frame["Beneficiary Location:0:Geographic Code Type"]) == {"LONB"}


def test_a_date_is_not_a_date_time_for_the_360giving_schema():
    grant_schema, _ = grant_validators()
    good = {"id": "360G-x-1", "title": "t", "description": "d", "currency": "GBP", "amountAwarded": 1,
            "awardDate": "2027-09-01", "recipientOrganization": [{"id": "GB-X-1", "name": "R"}],
            "fundingOrganization": [{"id": "GB-X-2", "name": "F"}]}
    grant_schema.validate(good)
    with pytest.raises(jsonschema.ValidationError):
        grant_schema.validate(good | {"awardDate": "2027-09-01T25:00:00Z"})


def test_awards_and_summaries_need_a_locked_round(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COMMISSIONING_DB", str(tmp_path / "s.sqlite"))
    store = open_store(tmp_path / "s.sqlite")
    store.create_user("boss", "lantern orbit meadow 42", role="commissioner")
    store.close()
    code, out, _ = run(capsys, monkeypatch, "2027-01-10T09:00:00+00:00", "create", "--name", "R",
                       "--rules", RULES, "--by", "boss")
    code, _, err = run(capsys, monkeypatch, None, "awards", "--round", out.split()[-1], "--funder-id", "F",
                       "--funder-name", "F", "--id-prefix", "360G-x", "--out", tmp_path / "a.json", "--by", "boss")
    assert code == 2 and "lock it first" in err and not (tmp_path / "a.json").exists()
    code, _, err = run(capsys, monkeypatch, "not a time", "rank", "--round", 1, "--by", "boss")
    assert code == 2 and "COMMISSIONING_NOW" in err


def test_round_rank_neutralises_spreadsheet_formulas(tmp_path, capsys, monkeypatch):
    """A bid id that a spreadsheet would run as a formula is written inert."""
    db = tmp_path / "round.sqlite"
    monkeypatch.setenv("COMMISSIONING_DB", str(db))
    store = open_store(db)
    store.create_user("boss", "lantern orbit meadow 42", role="commissioner")
    store.close()
    old, new = "NE-01", "=HYPERLINK(\"http://example.invalid\",\"x\")"
    for name in ("bids.csv", "scores.csv", "moderation.csv"):
        rows = list(csv.reader((EXAMPLE / name).open(encoding="utf-8")))
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows([[new if c == old else c for c in r] for r in rows])
    code, out, _ = run(capsys, monkeypatch, "2027-01-10T09:00:00+00:00",
                       "create", "--name", "R", "--rules", RULES, "--by", "boss")
    rid = int(out.strip().splitlines()[-1])
    after = "2027-06-05T10:00:00+01:00"
    assert run(capsys, monkeypatch, "2027-06-04T23:00:00+01:00", "import-bids", "--round", rid,
               "--bids", tmp_path / "bids.csv", "--by", "boss")[0] == 0
    assert run(capsys, monkeypatch, after, "import-scores", "--round", rid, "--scores", tmp_path / "scores.csv",
               "--moderation", tmp_path / "moderation.csv", "--by", "boss")[0] == 0
    code, ranked, _ = run(capsys, monkeypatch, after, "rank", "--round", rid, "--by", "boss")
    assert code == 0
    cells = [cell for row in csv.reader(ranked.splitlines()) for cell in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert "'" + new in cells


def test_declare_from_a_paper_form_blocks_the_score_import(tmp_path, capsys, monkeypatch):
    """Issue 22: `round declare` records a member's interest; `import-scores` then refuses the whole
    file (exit 2, nothing stored) and names the rows and the conflict, a look-alike letter or not."""
    db = tmp_path / "round.sqlite"
    monkeypatch.setenv("COMMISSIONING_DB", str(db))
    store = open_store(db)
    store.create_user("boss", "lantern orbit meadow 42", role="commissioner")
    store.add_member("boss", "panel-a", role="panel")
    store.add_member("boss", "panel-b", role="panel")
    store.close()
    code, out, _ = run(capsys, monkeypatch, "2027-01-10T09:00:00+00:00",
                       "create", "--name", "R", "--rules", RULES, "--by", "boss")
    rid = int(out.strip().splitlines()[-1])
    assert run(capsys, monkeypatch, "2027-06-04T23:00:00+01:00", "import-bids", "--round", rid,
               "--bids", EXAMPLE / "bids.csv", "--by", "boss")[0] == 0
    code, _, err = run(capsys, monkeypatch, None, "declare", "--round", rid, "--member", "panel-a",
                       "--organisation", "Thamesreach Women\u2019s \u0410dvocacy", "--interest", "trustee",
                       "--by", "boss")                               # curly quote, Cyrillic А
    assert code == 0 and "recorded: panel-a declared" in err and "warning" not in err
    code, _, err = run(capsys, monkeypatch, None, "declare", "--round", rid, "--member", "panel-a",
                       "--organisation", "Nobody Bidding Ltd", "--interest", "volunteer", "--by", "boss")
    assert code == 0 and "matches no bid of round" in err
    code, _, err = run(capsys, monkeypatch, None, "declare", "--round", rid, "--member", "panel-a",
                       "--organisation", "X", "--interest", "x", "--by", "panel-b")
    assert code == 2 and "only a commissioner records a conflict for someone else" in err
    after = "2027-06-05T10:00:00+01:00"
    code, _, err = run(capsys, monkeypatch, after, "import-scores", "--round", rid, "--scores",
                       EXAMPLE / "scores.csv", "--by", "boss")
    assert code == 2
    assert ("lines 2, 5, 8, 11, 14, 17, 20, 23, 26: panel-a declared a conflict with 'Thamesreach Women\u2019s \u0410dvocacy', and "
            "\"Thamesreach Women's Advocacy (fictional)\" leads bid NE-01") in err
    store = open_store(db)
    assert store.my_scores("panel-a").empty
    store.close()
    with pytest.raises(SystemExit) as exit_:           # argparse: usage and the reason, exit 2
        run(capsys, monkeypatch, after, "rank", "--round", "99999999999999999999", "--by", "boss")
    assert exit_.value.code == 2 and "99999999999999999999 is not an id in the store" in capsys.readouterr().err
