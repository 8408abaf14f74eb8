"""The commissioning loop through `python -m commissioning` (in-process): a round run to the lock,
its contracts once the standstill has ended, a year of the North East supplier's returns, the KPI
ratings, the next assessment's provision with the contracts in place, and the OCDS notices of every
stage (validated against the shared OCDS 1.1 schemas and codelists)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import jsonschema
import pandas as pd
import pytest
from locked_round import EXAMPLE, NORTH_EAST, RULES_PATH, locked_round, returns_csv
from ocds_checks import LOTS_URL, validate

from commissioning import cli
from commissioning.procurement import lifecycle
from commissioning.store import open_store

AFTER = "2027-06-05T10:00:00+01:00"
SIGNING = "2027-09-20T12:00:00+01:00"
REVIEW = "2029-01-15T09:00:00+00:00"   # a year of returns in; before the extension point (30 Sep 2030)


def run(capsys, monkeypatch, now, *argv) -> tuple[int, str, str]:
    monkeypatch.setenv("COMMISSIONING_NOW", now)
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def notice(capsys, monkeypatch, now, tmp_path, rid, kind) -> dict:
    out = tmp_path / f"{kind}.json"
    code, _, err = run(capsys, monkeypatch, now, "round", "notice", "--round", rid, "--kind", kind,
                       "--ocid-prefix", "ocds-abc123", "--out", out, "--by", "boss")
    assert code == 0, err
    package = json.loads(out.read_text(encoding="utf-8"))
    validate(package)
    assert [r["ocid"] for r in package["releases"]] == [f"ocds-abc123-{rid}"]
    return package


def test_the_loop_through_the_cli(tmp_path, capsys, monkeypatch):
    db = tmp_path / "loop.sqlite"
    monkeypatch.setenv("COMMISSIONING_DB", str(db))
    store = open_store(db)
    store.create_user("boss", "lantern orbit meadow 42", role="commissioner")
    store.add_member("boss", "chair-kim", role="chair")
    store.close()
    code, out, _ = run(capsys, monkeypatch, "2027-01-10T09:00:00+00:00", "round", "create", "--name",
                       "Victim support 2027", "--rules", RULES_PATH, "--by", "boss")
    rid = int(out.split()[-1])

    # tender notice once bids are invited: lots (extension declared), value, deadline, criteria
    tender = notice(capsys, monkeypatch, "2027-04-20T09:00:00+01:00", tmp_path, rid, "tender")
    release = tender["releases"][0]
    assert release["tag"] == ["tender"] and tender["extensions"] == [LOTS_URL]
    assert release["tender"]["tenderPeriod"]["endDate"] == "2027-06-04T23:00:00+00:00"
    assert [lot["title"] for lot in release["tender"]["lots"]] == ["West", "North East", "South"]
    # (400,000 + 420,000 + 380,000) a year x 3 years
    assert release["tender"]["value"] == {"amount": 3600000, "currency": "GBP"}
    assert "price 30%" in release["tender"]["awardCriteriaDetails"]
    assert "Q1 Understanding of victims' needs: 20% of quality" in release["tender"]["awardCriteriaDetails"]
    code, _, err = run(capsys, monkeypatch, "2027-04-19T09:00:00+01:00", "round", "notice", "--round", rid,
                       "--kind", "tender", "--ocid-prefix", "ocds-abc123", "--out", tmp_path / "early.json",
                       "--by", "boss")
    assert code == 2 and "bids are invited from 20 April 2027" in err and not (tmp_path / "early.json").exists()

    code, _, err = run(capsys, monkeypatch, "2027-06-04T12:00:00+01:00", "round", "import-bids", "--round", rid,
                       "--bids", EXAMPLE / "bids.csv", "--by", "boss")     # bids come in before the deadline
    assert code == 0, err
    for argv in (("import-scores", "--scores", EXAMPLE / "scores.csv", "--moderation", EXAMPLE / "moderation.csv"),
                 ("clarify", "--bid", "NE-03", "--question", "How does the price cover five posts?",
                  "--answer", "A volunteer-supported model, appendix D"),
                 ("resolve", "--bid", "NE-03", "--note", "Costs checked"),
                 ("resolve", "--bid", "W-02", "--note", "The median stands"), ("lock",)):
        code, _, err = run(capsys, monkeypatch, AFTER, "round", argv[0], "--round", rid, *argv[1:], "--by", "boss")
        assert code == 0, err

    # The standstill follows the lock (its notice); contracts are refused until it has ended.
    locked_on = lifecycle.london_date(lifecycle.now_utc())
    inside = dt.datetime.combine(locked_on + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC).isoformat()
    code, out, err = run(capsys, monkeypatch, inside, "round", "contracts", "--round", rid,
                         "--signed", (locked_on + dt.timedelta(days=1)).isoformat(), "--by", "boss")
    assert code == 2 and "the standstill runs to the end of" in err and out == ""
    award = notice(capsys, monkeypatch, inside, tmp_path, rid, "award")["releases"][0]
    assert [(a["id"], a["status"], a["value"]["amount"]) for a in award["awards"]] == [
        ("award-NE-01", "pending", 412000 * 3), ("award-S-01", "pending", 298000 * 3),
        ("award-W-01", "pending", 254000 * 3)]
    assert award["awards"][0]["suppliers"][0]["name"] == NORTH_EAST
    assert award["awards"][0]["relatedLots"] == ["lot-north-east"]

    code, out, err = run(capsys, monkeypatch, SIGNING, "round", "contracts", "--round", rid,
                         "--signed", "2027-09-20", "--basis", "illustrative", "--by", "boss")
    assert code == 0, err
    ids = [int(line) for line in out.split()]
    assert len(ids) == 3
    code, out, _ = run(capsys, monkeypatch, SIGNING, "contracts", "list", "--format", "csv", "--by", "boss")
    listed = pd.read_csv(io.StringIO(out))
    assert listed["id"].tolist() == ids and set(listed["basis"]) == {"illustrative"}
    assert listed.loc[listed["lot"] == "North East", "capacity"].item() == 7
    code, _, err = run(capsys, monkeypatch, SIGNING, "contracts", "list", "--by", "chair-kim")
    assert code == 2 and "may not" in err
    contract = notice(capsys, monkeypatch, SIGNING, tmp_path, rid, "contract")["releases"][0]
    assert [(c["id"], c["awardID"]) for c in contract["contracts"]] == [
        (f"contract-{ids[0]}", "award-NE-01"), (f"contract-{ids[1]}", "award-S-01"),
        (f"contract-{ids[2]}", "award-W-01")]
    assert contract["contracts"][0]["period"] == {"startDate": "2027-10-01T00:00:00+01:00",
                                                  "endDate": "2030-09-30T23:59:59+01:00",
                                                  "maxExtentDate": "2032-09-30T23:59:59+01:00"}

    # A year of returns, approved; the KPI ratings of the North East contract.
    (tmp_path / "returns.csv").write_text(returns_csv(), encoding="utf-8")
    code, _, err = run(capsys, monkeypatch, REVIEW, "returns", "import", tmp_path / "returns.csv", "--by", "boss",
                       "--approve", "--basis", "illustrative")
    assert code == 0, err
    code, out, _ = run(capsys, monkeypatch, REVIEW, "contracts", "performance", "--contract", ids[0],
                       "--year", "2028", "--by", "boss")
    assert code == 0
    assert "illustrative figures" in out
    assert ("2028Q2  not met      at most 10% of referrals refused for lack of capacity: 30.0%, 95% interval "
            "21.9% to 39.6%, 30 of 100, against 10%") in out
    assert "2028    met          at most 5 days median wait from referral to first contact: 4.9 days against 5" in out
    assert "In 2028, 1 of 4 KPIs was met. Some were missed" in out
    code, out, _ = run(capsys, monkeypatch, REVIEW, "contracts", "performance", "--contract", ids[0],
                       "--format", "csv", "--by", "boss")
    ratings = pd.read_csv(io.StringIO(out))
    assert len(ratings) == 5 * 4 and ratings.loc[ratings["period"] == "2028", "rating"].tolist() == [
        "not met", "met", "approaching", "approaching"]
    performance = notice(capsys, monkeypatch, REVIEW, tmp_path, rid, "performance")["releases"][0]
    assert performance["tag"] == ["implementation"]
    milestones = performance["contracts"][0]["implementation"]["milestones"]
    assert {m["id"]: m["status"] for m in milestones}["kpi-referrals_refused_pct-2028Q2"] == "notMet"
    assert {m["id"]: m["status"] for m in milestones}["kpi-clients_satisfied_pct-2028Q2"] == "partiallyMet"

    # The next assessment: IDVA provision is the contracts in place; Hackney has NE-01's 3 FTE.
    code, out, err = run(capsys, monkeypatch, REVIEW, "assess", "--as-of", "2029-01-15", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["provenance"]["idva"]["source"] == "contracts"
    assert result["provenance"]["idva"]["label"] == "contracts in place on 15 January 2029 (3 contracts, illustrative)"
    rows = pd.DataFrame(result["rows"]).set_index(["code", "service"])
    assert rows.loc[("E09000012", "idva"), "provision"] == pytest.approx(3.0)
    assert rows.loc[("E09000007", "idva"), "provision"] == 0   # Camden: no contract there
    assert result["provenance"]["isva"]["source"] in ("register", "illustrative")

    # Extending and ending are audited.
    code, _, err = run(capsys, monkeypatch, REVIEW, "contracts", "extend", "--contract", ids[0], "--years", "1",
                       "--by", "boss")
    assert code == 0 and "now ends on 2031-09-30" in err
    code, _, err = run(capsys, monkeypatch, REVIEW, "contracts", "end", "--contract", ids[1], "--on", "2029-03-31",
                       "--reason", "Supplier withdrew", "--by", "boss")
    assert code == 0
    code, _, err = run(capsys, monkeypatch, REVIEW, "contracts", "end", "--contract", ids[2], "--on", "31/03/2029",
                       "--reason", "x", "--by", "boss")
    assert code == 2 and "YYYY-MM-DD" in err
    store = open_store(db)
    actions = store.audit_log("boss", rid)["action"].tolist()
    store.close()
    assert actions.count("contract.extend") == 1 and actions.count("contract.end") == 1
    code, out, _ = run(capsys, monkeypatch, REVIEW, "contracts", "list", "--by", "boss")
    assert "to 2031-09-30, 1 extension year(s) left; active" in out and "ended 2029-03-31" in out


def test_contracts_csv_neutralises_spreadsheet_formulas(tmp_path, capsys, monkeypatch):
    rows = list(csv.reader((EXAMPLE / "bids.csv").open(encoding="utf-8")))
    rows = [[('=HYPERLINK("http://x.invalid")' if cell == NORTH_EAST else cell) for cell in row] for row in rows]
    with (tmp_path / "bids.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    store, rid = locked_round(tmp_path / "s.sqlite", bids=tmp_path / "bids.csv")
    store.create_contracts("boss", rid, dt.date(2027, 9, 20), now=dt.datetime(2027, 9, 20, 12, tzinfo=dt.UTC))
    store.close()
    monkeypatch.setenv("COMMISSIONING_DB", str(tmp_path / "s.sqlite"))
    code, out, _ = run(capsys, monkeypatch, SIGNING, "contracts", "list", "--format", "csv", "--by", "boss")
    cells = [cell for row in csv.reader(out.splitlines()) for cell in row]
    assert code == 0 and "'=HYPERLINK(\"http://x.invalid\")" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_the_ocds_check_refuses_an_impossible_date_and_undeclared_lots():
    release = {"ocid": "ocds-abc123-1", "id": "r1", "date": "2027-09-01T00:00:00Z", "tag": ["tender"],
               "initiationType": "tender", "tender": {"id": "t", "status": "active", "awardCriteria": "ratedCriteria",
                                                      "procurementMethod": "open",
                                                      "mainProcurementCategory": "services",
                                                      "lots": [{"id": "lot-1", "title": "West"}]}}
    package = {"uri": "urn:x", "version": "1.1", "publishedDate": "2027-09-01T00:00:00Z",
               "publisher": {"name": "P"}, "releases": [release], "extensions": [LOTS_URL]}
    validate(package)
    with pytest.raises(jsonschema.ValidationError):
        validate(package | {"releases": [release | {"date": "2027-09-31T00:00:00Z"}]})
    with pytest.raises(AssertionError):
        validate({k: v for k, v in package.items() if k != "extensions"})
    with pytest.raises(jsonschema.ValidationError):      # a closed codelist: the schema checks it
        validate(package | {"releases": [release | {"tag": ["award-notice"]}]})
    with pytest.raises(AssertionError):                  # an open one: checked against the codelist file
        validate(package | {"releases": [release | {"tender": release["tender"] | {"awardCriteria": "cheapest"}}]})
