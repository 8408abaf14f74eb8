"""One data set, one store, one set of rules: every document and export says the same thing.

Built once from the embedded data, the default rules and a store holding the illustrative example
returns (approved as data/returns/review_state.csv says): the needs assessment (PDF and HTML), the
published priorities (PDF and HTML), the app's Published priorities page and Coverage page, the
``assess --format csv`` export, and a round's evaluation and 360Giving awards. Each fact is worked out
here from the CSV export or the rules (not from the code that prints it) and found in every output:

- the published lots, their authorities and each lot's need, provision and gap by service;
- the price basis and the amounts on it;
- the London totals of provision and need per service;
- the status of every authority and service.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from document_checks import Page
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from commissioning import auth, cli
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.awards import build_awards
from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.publish.outline import to_html
from commissioning.publish.pdf.evaluation import evaluation_outline
from commissioning.publish.pdf.needs import build_needs_html, build_needs_pdf
from commissioning.publish.pdf.priorities import build_priorities_html, build_priorities_pdf
from commissioning.returns.example import load_example
from commissioning.returns.provision import assess_with_provision
from commissioning.store import open_store
from commissioning.web import appdata

PASSWORD = "a-long-test-password"
STATUS_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", "no need": "No need"}


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    return flat("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def html_text(html: str) -> str:
    return flat(re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&").replace("&#x27;", "'").replace("&#39;", "'"))


def table(page: Page, caption: str) -> list[list[str]]:
    found = next(t for t in page.tables if t["caption"].startswith(caption))
    return [[cell for _, _, cell in row] for row in found["rows"] if row]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("one_source")
    db = tmp / "store.sqlite"
    ds, rules = load_dataset(), load_rules()
    store = open_store(db)
    auth.create_user(store, "admin", auth.COMMISSIONER, PASSWORD)
    assert load_example(store, "admin", ds.service_types) > 0
    approved = store.approved_returns()
    store.close()
    assessment = assess_with_provision(ds, approved)
    out = {"ds": ds, "rules": rules, "assessment": assessment, "db": db}
    out["needs_pdf"] = pdf_text(build_needs_pdf(assessment, dpi=20, trends=False, rules=rules))
    needs_html = build_needs_html(assessment, dpi=20, trends=False, rules=rules)
    out["needs_html"], out["needs_page"] = html_text(needs_html), Page(needs_html)
    out["priorities_pdf"] = pdf_text(build_priorities_pdf(assessment, rules, contract_need=False))
    priorities_html = build_priorities_html(assessment, rules, contract_need=False)
    out["priorities_html"], out["priorities_page"] = html_text(priorities_html), Page(priorities_html)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMMISSIONING_DB", str(db))
        assert cli.main(["assess", "--format", "csv", "--out", str(tmp / "gaps.csv")]) == 0
        public = AppTest.from_file("../../app_pages/priorities.py", default_timeout=120).run()
        assert not public.exception
        shown = [m.value for m in public.markdown] + [html_text(h.proto.body) for h in public.get("html")]
        # Markdown as the reader sees it: no bold markers, no escaping backslashes
        out["app_text"] = flat(re.sub(r"\\(.)", r"\1", " ".join(shown).replace("**", "")))
        out["app_tables"] = [Page(h.proto.body) for h in public.get("html") if "<table" in h.proto.body]
        coverage = AppTest.from_file("../../app_pages/coverage.py", default_timeout=120)
        coverage.session_state["user"] = auth.User("admin", auth.COMMISSIONER)
        out["app_maps"] = {}
        coverage.run()
        for service in ds.service_types:
            coverage.selectbox(key="coverage_service").set_value(service).run()
            assert not coverage.exception
            out["app_maps"][service] = next(m.value for m in coverage.markdown if "<svg" in m.value)
    with open(tmp / "gaps.csv", encoding="utf-8", newline="") as f:
        out["csv"] = list(csv.DictReader(f))
    return out


def digits(ds, service: str) -> int:
    return 0 if ds.benchmarks.services[service].unit == "spaces" else 1


def number(value: float, d: int) -> str:
    text = f"{value:,.{d}f}"
    return "\u2212" + text[1:] if text.startswith("-") and text.strip("-0.,") else text.lstrip("-")


def documents(world) -> dict[str, str]:
    return {name: world[name] for name in ("needs_pdf", "needs_html", "priorities_pdf", "priorities_html")}


def test_the_provision_is_the_resolvers_everywhere(world):
    """The approved 2026Q3 returns are the provision of every output, the CSV export included."""
    assessment = world["assessment"]
    assert all(words.startswith("reported in returns (2026Q3") for words in assessment.provision.values())
    for row, (_, expected) in zip(world["csv"], assessment.gaps.iterrows()):
        assert (row["code"], row["service"]) == (expected["code"], expected["service"])
        assert float(row["provision"]) == pytest.approx(expected["provision"], abs=1e-9)


def test_published_lots_and_their_figures_are_the_same_everywhere(world):
    ds, rules, rows = world["ds"], world["rules"], world["csv"]
    names = set(ds.authorities.values())
    assert sorted(b for lot in rules.lots for b in lot.boroughs) == sorted(names)
    outputs = {**documents(world), "app": world["app_text"]}
    expected_rows = []
    for lot in rules.lots:
        members = f"{lot.name}: {', '.join(sorted(lot.boroughs))} ({len(lot.boroughs)} authorities)."
        value = f"Indicative value: £{lot.indicative_value_gbp:,.0f} a year."
        for name, text in outputs.items():
            assert members in text, (name, lot.name)
            assert value in text, (name, lot.name)
        for service in lot.services:   # the lot's figures, summed here from the CSV export
            mine = [r for r in rows if r["name"] in lot.boroughs and r["service"] == service]
            assert len(mine) == len(lot.boroughs)
            need = sum(float(r["need"]) for r in mine)
            provision = sum(float(r["provision"]) for r in mine)
            gap = sum(max(0.0, float(r["shortfall"])) for r in mine)
            bench, d = ds.benchmarks.services[service], digits(ds, service)
            expected_rows.append([lot.name, f"{bench.label.split(' (')[0]} ({bench.unit})", number(need, d),
                                  number(provision, d), number(gap, d), number(need - provision, d),
                                  f"{100 * provision / need:.0f}%"])
    caption = "Need, provision and the gap in each published lot"
    for page in (world["needs_page"], world["priorities_page"], *world["app_tables"][:1]):
        assert table(page, caption) == expected_rows
    for name in ("needs_pdf", "priorities_pdf"):
        for row in expected_rows:
            assert " ".join(row) in world[name], (name, row)
    # computed lots are a scenario tool: never in a document unless asked for, never "Lot N (...)"
    for name, text in outputs.items():
        assert not re.search(r"Lot \d \(", text), name
        assert "Scenario area" not in text, name


def test_price_basis_and_amounts_are_the_same_everywhere(world):
    rules = world["rules"]
    assert rules.price_basis == "annual" and rules.contract_years == 3
    instruction = ("Quote the price a year for the lot, for every service the lot buys; the value of the initial 3 "
                   "years term is that price times 3.")
    assert rules.price_instruction() == instruction
    for name in ("priorities_pdf", "priorities_html"):
        assert instruction in world[name], name
        assert "Quote the price a year." in world[name], name
    assert instruction in world["app_text"]
    # a round: the evaluation report and the 360Giving awards give the same amounts on the same basis
    bids_dir = appdata.EXAMPLE_DIR
    flagged = score_bids(rules, read_bids(bids_dir / "bids.csv"), read_scores(bids_dir / "scores.csv"),
                         read_moderation(bids_dir / "moderation.csv"))
    # the chair's decisions clear every flag (the one source of "cleared"), then the awards follow
    decisions = {f.bid_id: {} for f in flagged.flags}
    for f in flagged.flags:
        decisions[f.bid_id][f.key] = "Explained in a recorded clarification"
    result = score_bids(rules, read_bids(bids_dir / "bids.csv"), read_scores(bids_dir / "scores.csv"),
                        read_moderation(bids_dir / "moderation.csv"), decisions=decisions)
    winners = result.table.loc[result.table["rank"] == 1]
    grants = build_awards(result, funder_id="GB-GOR-PB8", funder_name="MOPAC", id_prefix="360G-mopac")
    annual = {row.bid_id: float(row.price_amount) for row in winners.itertuples()}
    assert {g["id"].removeprefix("360G-mopac-"): g["amountAwarded"] for g in grants} == {
        bid: 3 * price for bid, price in annual.items()}
    assert all(g["plannedDates"] == [{"startDate": "2027-10-01", "endDate": "2030-09-30", "duration": 36}]
               for g in grants)
    report = html_text(to_html(evaluation_outline(rules, result), title="Evaluation"))
    total = sum(annual.values())
    assert (f"Value of the recommended bids: £{total:,.0f} a year, £{3 * total:,.0f} over the initial 3-year "
            f"term, across {len(annual)} lots.") in report
    assert sum(g["amountAwarded"] for g in grants) == 3 * total
    assert "Price a year" in report


def test_london_totals_are_the_same_everywhere(world):
    ds, rows = world["ds"], world["csv"]
    totals_table = table(world["needs_page"], "Totals across the 33 authorities")
    for service in ds.service_types:
        bench, d = ds.benchmarks.services[service], digits(ds, service)
        mine = [r for r in rows if r["service"] == service]
        provision, need = sum(float(r["provision"]) for r in mine), sum(float(r["need"]) for r in mine)
        short = bench.label.split(" (")[0]
        row = next(r for r in totals_table if r[0] == short)
        assert row[2:4] == [number(provision, d), number(need, d)], service
        assert row[6] == f"{100 * provision / need:.0f}%"
        # the priorities (documents and the app's cards) quote the same totals
        words = f"{bench.label}: across the area provision is {number(provision, d)} {bench.unit} against a need of {number(need, d)}"
        red = sum(r["status"] == "red" for r in mine)
        assert f"{bench.label}: across the area" in world["priorities_html"]   # every service is a priority
        for name, text in {**documents(world), "app": world["app_text"]}.items():
            assert words in text, (name, service)
            assert f"in {red} of 33 authorities" in text, (name, service)
    # the £ headline: the gross gap (each service's gap where short, as printed, times its unit cost)
    gross = sum(round(sum(max(0.0, float(r["shortfall"])) for r in rows if r["service"] == s), digits(ds, s))
                * ds.benchmarks.services[s].unit_cost.gbp_per_year for s in ds.service_types)
    for name in ("needs_pdf", "needs_html"):
        assert f"costing about £{gross / 1e6:,.1f} million a year (gross)" in world[name], name


def test_statuses_read_the_same_in_the_csv_tables_text_and_maps(world):
    ds, rows = world["ds"], world["csv"]
    city = {r["service"]: r["status"] for r in rows if r["name"] == "City of London"}
    assert city["ld_advocate"] == "no need"    # 3,616 adult women x 0.4 per 100,000 = 0.01 FTE
    for service in ds.service_types:
        bench = ds.benchmarks.services[service]
        mine = {r["name"]: r["status"] for r in rows if r["service"] == service}
        chapter = table(world["needs_page"], f"{bench.label}: provision, need and coverage by authority")
        assert {r[0]: r[-1] for r in chapter if r[0] != "Total"} == {n: STATUS_WORDS[s] for n, s in mine.items()}
        counts = {s: sum(v == s for v in mine.values()) for s in ("red", "amber", "green")}
        sentence = f"Red: {counts['red']}, amber: {counts['amber']}, green: {counts['green']} authorities."
        for name in ("needs_pdf", "needs_html"):
            assert sentence in world[name], (name, service)
        # the app's map: every authority's hover text ends its coverage line with the same status
        tips = dict(re.findall(r"<title>([^\n<]+)\n(?:[^\n<]*\n){3}Coverage: [^\n<]* \(([^)]*)\)", world["app_maps"][service]))
        assert tips == mine, service
