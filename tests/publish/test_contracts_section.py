"""The next round's priorities and needs assessment cite the contracts in place and their KPI
ratings (issue 23): one Outline block, rendered in both documents' HTML."""

from __future__ import annotations

import datetime as dt
import html
import re

from locked_round import NORTH_EAST, SIGNED, SIGNING, locked_round, returns_csv

from commissioning.needs.assessment import run_assessment
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.rules import load_rules
from commissioning.publish.contracts_section import current_contracts_outline
from commissioning.publish.outline import to_html
from commissioning.publish.pdf.priorities import priorities_outline
from commissioning.returns.reader import read_returns


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_priorities_cite_the_contracts_and_their_kpis(tmp_path):
    store, rid = locked_round(tmp_path / "s.sqlite")
    store.create_contracts("boss", rid, SIGNED, basis="illustrative", now=SIGNING)
    (tmp_path / "r.csv").write_text(returns_csv())
    store.submit_returns("boss", read_returns(tmp_path / "r.csv", ["idva", "isva", "refuge"]),
                         basis="illustrative", approve=True)
    day = dt.date(2029, 1, 15)
    contracts = store.published_contracts(day)
    assert [c["lot"] for c in contracts] == ["North East", "South", "West"]
    page = text_of(to_html(priorities_outline(run_assessment(load_dataset()), load_rules(), contract_need=False,
                                              date=day, contracts=contracts), title="Priorities"))
    assert "Current contracts and how they perform" in page
    assert "3 contracts are in place on 15 January 2029" in page
    # North East: 4 KPIs rated for 2028 (1 met, 2 approaching, 1 not met); the others have no returns
    assert "1 of 4 key performance indicator ratings were met, 2 approaching and 1 not met" in page
    assert f"{NORTH_EAST} 7 IDVA 2027-10-01 to 2030-09-30 2028: 1 of 4 met" in page
    assert "no returns rated yet" in page
    assert "ILLUSTRATIVE DATA. These contracts are a rehearsal" in page
    assert "not met in 2028 (13.0%, 95% interval 10.3% to 16.4%, 60 of 460, against 10%)" in page
    # before the contracts start there is nothing to cite
    assert store.published_contracts(dt.date(2027, 9, 30)) == []
    assert current_contracts_outline([], day).blocks == []


def test_report_priorities_reads_the_contracts_from_the_store(tmp_path, monkeypatch, capsys):
    """`report --kind priorities` for the next round (published 15 January 2029) with COMMISSIONING_DB set."""
    from commissioning.cli import main
    from commissioning.paths import DEFAULT_RULES

    store, rid = locked_round(tmp_path / "s.sqlite")
    store.create_contracts("boss", rid, SIGNED, basis="illustrative", now=SIGNING)
    store.close()
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    for old, new in (("2027-01-15", "2029-01-15"), ("2027-04-20", "2029-04-20"), ("2027-06-04", "2029-06-04"),
                     ("2027-09-01", "2029-09-01"), ("2027-10-01", "2030-10-01")):
        text = text.replace(old, new)
    (tmp_path / "next.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("COMMISSIONING_DB", str(tmp_path / "s.sqlite"))
    out = tmp_path / "priorities.html"
    assert main(["report", "--kind", "priorities", "--format", "html", "--rules", str(tmp_path / "next.yaml"),
                 "--out", str(out)]) == 0
    page = text_of(out.read_text(encoding="utf-8"))
    assert "3 contracts are in place on 15 January 2029" in page
    assert "No approved quarterly returns have been rated" in page
