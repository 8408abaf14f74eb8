"""The three PDFs, opened with pypdf: text, page counts, images, fonts, metadata; and the CLI.

Each PDF is built once per module (maps at a lower resolution than print to keep the tests fast).
When ``pdftoppm`` (poppler-utils) is installed, pages are also rendered to PNG in artifacts/pdf/
and checked for blank pages.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from commissioning.cli import main
from commissioning.errors import InputError
from commissioning.needs.assessment import run_assessment
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.publish.pdf.evaluation import build_evaluation_pdf, pseudonyms
from commissioning.publish.pdf.needs import build_needs_pdf
from commissioning.publish.pdf.priorities import build_priorities_pdf
from commissioning.publish.pdf.style import deliver

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "example_bids"
ARTIFACTS = ROOT / "artifacts" / "pdf"


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def ds():
    return load_dataset()


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture(scope="module")
def needs_pdf(ds):
    calls = []
    pdf = build_needs_pdf(run_assessment(ds), dpi=72, progress=lambda f, m: calls.append((f, m)))
    return pdf, calls


@pytest.fixture(scope="module")
def priorities_pdf(ds, rules):
    return build_priorities_pdf(run_assessment(ds), rules)


@pytest.fixture(scope="module")
def scored(rules):
    moderation = read_moderation(EXAMPLE / "moderation.csv")
    result = score_bids(rules, read_bids(EXAMPLE / "bids.csv"), read_scores(EXAMPLE / "scores.csv"), moderation)
    return result, moderation


@pytest.fixture(scope="module")
def evaluation_pdf(rules, scored):
    result, moderation = scored
    return build_evaluation_pdf(rules, result, moderation=moderation, n_draws=500, illustrative="example bids")


def refuge_coordinate_strings(ds) -> set[str]:
    refuges = ds.services.loc[ds.services["service"] == "refuge"]
    out = set()
    for value in pd.concat([refuges["lat"], refuges["lon"]]).dropna():
        for digits in (5, 4, 3):
            out.add(f"{value:.{digits}f}")
    return out


# --- needs assessment -------------------------------------------------------------------------

def test_documents_take_the_assessment_and_never_recompute_it(ds, rules, monkeypatch):
    """Data flows one way: the needs and priorities PDFs use the assessment they are given."""
    from commissioning.needs.models import NeedModel

    assessment = run_assessment(ds)
    calls = []
    original = NeedModel.need
    monkeypatch.setattr(NeedModel, "need", lambda self, *a, **k: calls.append(self) or original(self, *a, **k))
    build_priorities_pdf(assessment, rules)
    build_needs_pdf(assessment, dpi=40, lots_k=3)
    assert calls == []
    run_assessment(ds)                                   # the spy does see an assessment
    assert len(calls) == len(ds.service_types)


def test_needs_names_every_authority(ds, needs_pdf):
    text = flat(text_of(needs_pdf[0]))
    assert len(ds.authorities) == 33
    missing = [name for name in ds.authorities.values() if name not in text]
    assert missing == []


def test_needs_structure_and_marks(ds, needs_pdf):
    pdf, calls = needs_pdf
    reader = PdfReader(io.BytesIO(pdf))
    # main points, about the data, contents, totals, method, 2 pages per service (4 services), demand over time (6 pages
    # with the two monthly series), accessibility, lots, priorities, appendix: 22-24 pages with these data.
    assert 20 <= len(reader.pages) <= 30
    cover = reader.pages[0].extract_text()
    assert "ILLUSTRATIVE DATA" in cover  # the default services are illustrative
    text = flat(text_of(pdf))
    for words in ("Contents", "Main points", "Totals and priorities", "Method and benchmarks", "Accessibility",
                  "Published lots: need, provision and the gap",
                  "Commissioning priorities", "Appendix: data sources", "Open Government Licence",
                  "SafeLives", "Council of Europe", "Page 2 of"):
        assert words in text, words
    for source in ds.sources:  # every source in the appendix, with its period
        assert flat(source["period"]) in text
    assert calls[0][0] == 0.0 and calls[-1][0] == 1.0
    assert [f for f, _ in calls] == sorted(f for f, _ in calls)


def test_needs_maps_are_images(ds, needs_pdf):
    reader = PdfReader(io.BytesIO(needs_pdf[0]))
    per_page = []
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        per_page.append(sum(1 for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"))
    # one coverage map per service type, each alone on its page (no computed lots map unless a scenario
    # is asked for); the demand-over-time chapter adds two charts (rates against London, forecast) for
    # each of the two monthly series
    assert sum(per_page) == len(ds.service_types) + 2 * 2
    assert max(per_page) == 1
    for i, n in enumerate(per_page):
        if n:
            assert "Crown copyright" not in reader.pages[i].extract_text()  # attribution is inside the image
    assert "Boundaries: Office for National Statistics" in flat(text_of(needs_pdf[0]))


def test_needs_has_no_refuge_coordinates(ds, needs_pdf):
    text = text_of(needs_pdf[0])
    assert [c for c in refuge_coordinate_strings(ds) if c in text] == []


def test_metadata_and_embedded_fonts(needs_pdf, priorities_pdf, evaluation_pdf):
    for pdf, title in ((needs_pdf[0], "needs assessment"), (priorities_pdf, "how bids will be judged"),
                       (evaluation_pdf, "evaluation report")):
        reader = PdfReader(io.BytesIO(pdf))
        assert title in reader.metadata.title
        assert reader.metadata.author and reader.metadata.subject
        for page in reader.pages:
            for font in (page["/Resources"].get("/Font") or {}).values():
                font = font.get_object()
                descriptor = font["/FontDescriptor"].get_object()  # standard-14 fonts have none
                assert "/FontFile2" in descriptor, font["/BaseFont"]


# --- published priorities ---------------------------------------------------------------------

def test_priorities_lists_every_criterion_and_weight(rules, priorities_pdf):
    text = flat(text_of(priorities_pdf))
    for criterion in rules.criteria:
        points = rules.weights[criterion.section] * criterion.weight / 100
        # e.g. "Q1 Understanding of victims' needs (Quality, weight 20%, 12.0 points; scored 0-5)"
        assert f"{criterion.id} {criterion.title} (" in text
        assert re.search(rf"{criterion.id} {re.escape(criterion.title)} \([^)]*weight {criterion.weight:g}%, "
                         rf"{points:.1f} points", text), criterion.id
    assert "Quality 60%" in text and "Social value 10%" in text and "Price 30%" in text
    for gate in rules.gates:
        assert gate.title in text
    for descriptor in rules.scale.descriptors.values():
        assert descriptor in text
    assert "Relative to the lowest price" in text and "70%" in text  # price method, abnormally low
    assert "median of the panel's scores" in text


def test_priorities_timetable_check(priorities_pdf):
    text = flat(text_of(priorities_pdf))
    assert "Notice check: met." in text
    assert "Priorities published 15 January 2027, bids invited 20 April 2027: 95 days" in text


def test_priorities_has_no_bid_data_or_refuge_location(ds, priorities_pdf):
    text = text_of(priorities_pdf)
    flat_text = flat(text)
    bids = pd.read_csv(EXAMPLE / "bids.csv", dtype=str)
    leaks = [b for b in bids["bid_id"] if b in flat_text]
    leaks += [o for o in bids["organisation"] if o in flat_text or o.split(" (")[0] in flat_text]
    for price in bids["price"].astype(int):
        leaks += [p for p in (str(price), f"{price:,}", f"£{price:,}") if p in flat_text]
    assert leaks == []
    assert [c for c in refuge_coordinate_strings(ds) if c in text] == []
    assert "Scorer" not in flat_text


def test_priorities_page_count(priorities_pdf):
    assert 5 <= len(PdfReader(io.BytesIO(priorities_pdf)).pages) <= 12      # a profile page for each of the three lots


# --- evaluation report ------------------------------------------------------------------------

def test_evaluation_shows_every_ranked_bid_with_its_total(scored, evaluation_pdf):
    result, _ = scored
    text = flat(text_of(evaluation_pdf))
    ranked = result.table.loc[result.table["rank"].notna()]
    assert len(ranked) == 7
    for b in ranked.itertuples():
        assert re.search(rf"{re.escape(b.bid_id)} — [^:]+: rank {int(b.rank)}, total {b.total:.2f}", text), b.bid_id
    for b in result.table.loc[result.table["status"] == "failed"].itertuples():
        assert f"{b.bid_id} — " in text and b.reasons in text
    assert "OFFICIAL-SENSITIVE" in text and "ILLUSTRATIVE DATA" in text
    assert "Sign-off" in text and "Rank sensitivity" in text and "Moderation decisions" in text
    # cover, contents, 9 pages of sections (results ... sign-off), then the rationale annex: with 3
    # scorers x 9 criteria a bid's table fills most of a page, so one page per bid (9 bids) -> 20
    assert 17 <= len(PdfReader(io.BytesIO(evaluation_pdf)).pages) <= 23


def test_evaluation_pseudonymises_scorers(scored, evaluation_pdf):
    result, _ = scored
    text = flat(text_of(evaluation_pdf))
    scorers = sorted(result.scores["scorer"].unique())
    assert scorers == ["panel-a", "panel-b", "panel-c"]
    assert pseudonyms(scorers) == {"panel-a": "Scorer A", "panel-b": "Scorer B", "panel-c": "Scorer C"}
    assert not any(s in text for s in scorers)
    assert "Scorer A" in text and "Scorer C" in text


def example_comments(bid: str | None = None, criterion: str | None = None) -> list[dict]:
    """The scorers' rows of data/example_bids/scores.csv, read directly (not through the engine)."""
    with open(EXAMPLE / "scores.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if bid in (None, r["bid_id"]) and criterion in (None, r["criterion"])]


def annex_by_bid(text: str, bids: list[str]) -> dict[str, str]:
    """The flattened annex text cut at each bid's heading ("<bid> — "), bids in the given order."""
    annex = text[text.rindex("Annex: scorers' rationale"):]  # the last one: the first is in the contents
    starts = [annex.index(f"{bid} — ") for bid in bids]
    assert starts == sorted(starts), "annex bids out of order"
    return {bid: annex[a:b] for bid, a, b in zip(bids, starts, starts[1:] + [len(annex)])}


def test_evaluation_annex_keeps_each_scorers_rationale(scored, evaluation_pdf):
    result, _ = scored
    text = flat(text_of(evaluation_pdf))
    # by lot, in rank order, failed bids included (the ranking itself is tested with the engine)
    sections = annex_by_bid(text, list(result.table["bid_id"]))
    tags = {"panel-a": "Scorer A", "panel-b": "Scorer B", "panel-c": "Scorer C"}
    # e.g. NE-02,panel-a,Q1,2,"Q1: meets the minimum with gaps (panel-a)" is the row
    # "Scorer A 2 Q1: meets the minimum with gaps (Scorer A)" in NE-02's table
    rows = example_comments()
    assert len(rows) == 9 * 3 * 9
    for r in rows:
        line = f"{tags[r['scorer']]} {r['score']} {r['comment'].replace(r['scorer'], tags[r['scorer']])}"
        assert line in sections[r["bid_id"]], line
    assert "Scorer C 2 Q3: meets the minimum with gaps (Scorer C)" in sections["W-03"]  # a failed bid
    # the chair's decisions with their notes: NE-02 Q1 panel 2, 3, 4 (median 3), agreed 3;
    # S-01 Q2 panel 4, 4, 5 (median 4), moved to 5
    assert ("Moderated: 3 (chair's moderation) Scorer A 2" in sections["NE-02"]
            and "Chair's moderated score: 3 (panel median 3). Chair's note: Panel scores ranged widely;"
            in sections["NE-02"])
    assert ("Chair's moderated score: 5 (panel median 4). Chair's note: Agreed 5 at moderation: by-and-for "
            "delivery evidenced by partnership agreements in appendix C" in sections["S-01"])
    assert "Moderated: 4 (panel median) Scorer A 4 Q1: very good" in sections["NE-01"]  # 4, 4, 4
    assert not re.search(r"panel-[abc]", " ".join(sections.values()))


def test_evaluation_annex_long_and_missing_comments(rules):
    bids, scores = read_bids(EXAMPLE / "bids.csv"), read_scores(EXAMPLE / "scores.csv")
    first = scores.index[(scores["bid_id"] == "NE-01") & (scores["scorer"] == "panel-a")
                         & (scores["criterion"] == "Q1")][0]
    # ~25,000 characters: more than a page even in the widest column, so the row must continue
    scores.loc[first, "comment"] = "panel-a: " + " ".join(f"w{i}" for i in range(4000))
    result = score_bids(rules, bids, scores)
    pdf = build_evaluation_pdf(rules, result, lots=["North East"], n_draws=50)
    text = flat(text_of(pdf))
    annex = text[text.rindex("Annex: scorers' rationale"):]
    assert "Scorer A 4 Scorer A: w0 w1 w2" in annex and "w3998 w3999" in annex
    assert "Scorer B 4 Q1: very good, well evidenced (Scorer B)" in annex  # the rows after it follow
    without = score_bids(rules, bids, scores.drop(columns="comment"))
    text = flat(text_of(build_evaluation_pdf(rules, without, lots=["West"], n_draws=50)))
    assert "The scores were supplied without comments." in text
    assert "Scorer A 4 (no comment recorded)" in text  # W-01 Q1, panel-a scored 4


def test_evaluation_from_store_keeps_comments(tmp_path):
    from commissioning import auth
    from commissioning.store import open_store
    from commissioning.web import appdata

    store = open_store(tmp_path / "store.sqlite")
    try:
        auth.create_user(store, "admin", "commissioner", "a-long-test-password")
        appdata.first_run(store, env={appdata.DEMO_ENV: "1"})  # imports the example round, comments included
        round_id = int(store.rounds()["id"].iloc[0])
        text = flat(text_of(appdata.evaluation_report_pdf(store, "admin", round_id)))
    finally:
        store.close()
    sections = annex_by_bid(text, ["NE-01", "NE-03", "NE-02", "S-01"])
    for r in example_comments("S-01", "Q2"):
        tag = {"panel-a": "Scorer A", "panel-b": "Scorer B", "panel-c": "Scorer C"}[r["scorer"]]
        assert f"{tag} {r['score']} {r['comment'].replace(r['scorer'], tag)}" in sections["S-01"]
    assert "panel-" not in text


def test_evaluation_names_on_request(rules, scored):
    result, moderation = scored
    panel = pd.DataFrame({"scorer": ["panel-a", "panel-b", "panel-c"], "name": ["Ada Jones", "", "Cy Lee"],
                          "role": ["chair", "panel", "panel"]})
    conflicts = pd.DataFrame({"scorer": ["panel-b"], "organisation": ["Some Charity"],
                              "note": ["panel-b is a trustee"]})
    text = flat(text_of(build_evaluation_pdf(rules, result, moderation=moderation, panel=panel, conflicts=conflicts,
                                             names=True, lots=["West"], n_draws=100)))
    assert "Ada Jones" in text and "Cy Lee" in text and "panel-b is a trustee" in text
    assert "Scorer A" not in text
    assert "NE-01" not in text  # only the West lot
    # the annex names scorers too, in their comments as well; panel-b has no name: its identifier
    names = {"panel-a": "Ada Jones", "panel-b": "panel-b", "panel-c": "Cy Lee"}
    for r in example_comments("W-03", "Q3"):
        who = names[r["scorer"]]
        assert f"{who} {r['score']} {r['comment'].replace(r['scorer'], who)}" in text


def test_evaluation_refuses_other_rules(rules, scored):
    other = load_rules()
    other = type(other)(**{**other.__dict__, "version": 99})
    with pytest.raises(ValueError, match="other rules"):
        build_evaluation_pdf(other, scored[0])


# --- output and CLI ---------------------------------------------------------------------------

def test_deliver_writes_atomically(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    assert deliver(b"%PDF-new", target) == b"%PDF-new"
    assert target.read_bytes() == b"%PDF-new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]  # no temporary file left
    with pytest.raises(InputError, match="output folder does not exist"):
        deliver(b"%PDF", tmp_path / "missing" / "report.pdf")
    buffer = io.BytesIO()
    deliver(b"%PDF-x", buffer)
    assert buffer.getvalue() == b"%PDF-x"


def test_cli_report(tmp_path, capsys):
    out = tmp_path / "priorities.pdf"
    assert main(["report", "--kind", "priorities", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert "wrote" in capsys.readouterr().err
    out = tmp_path / "evaluation.pdf"
    assert main(["report", "--kind", "evaluation", "--out", str(out), "--names"]) == 0
    assert "panel-a" in text_of(out.read_bytes())
    assert main(["report", "--kind", "needs", "--out", str(tmp_path / "no" / "x.pdf")]) == 2
    assert "output folder does not exist" in capsys.readouterr().err
    assert main(["report", "--kind", "evaluation", "--out", str(tmp_path / "e.pdf"),
                 "--bids", str(tmp_path / "missing.csv")]) == 2


# --- rendering --------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_render_pages_without_blank_ones(needs_pdf, priorities_pdf, evaluation_pdf):
    from PIL import Image

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, pdf in (("needs", needs_pdf[0]), ("priorities", priorities_pdf), ("evaluation", evaluation_pdf)):
        for old in ARTIFACTS.glob(f"{name}-*.png"):
            old.unlink()
        source = ARTIFACTS / f"{name}.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(source), str(ARTIFACTS / name)], check=True)
        pages = sorted(ARTIFACTS.glob(f"{name}-*.png"))
        assert len(pages) == len(PdfReader(io.BytesIO(pdf)).pages)
        for png in pages:
            grey = np.asarray(Image.open(png).convert("L"))
            body = grey[int(0.1 * grey.shape[0]):int(0.9 * grey.shape[0])]  # without header and footer
            assert (body < 200).mean() > 0.005, f"{png.name} looks blank"


# --- issue 16: headline, decision summary, at a glance, readable text -------------------------

def test_needs_headline_page_and_clean_appendix(ds, needs_pdf):
    reader = PdfReader(io.BytesIO(needs_pdf[0]))
    page = flat(reader.pages[0].extract_text())      # the main points lead page 1
    # the figures themselves are recomputed by hand in test_documents.py; here: they are on the page
    assert re.search(r"Closing every authority's gap with new capacity takes [\d.,]+ FTE posts and [\d,]+ refuge spaces, "
                     r"costing about £[\d.]+ million a year \(gross\)\.", page)
    assert re.search(r"\d+ of 33 authorities are red in 3 or more of the 4 services", page)
    # the table of the gap and its cost by service follows the decisions, on page 1 or 2
    first_two = page + " " + flat(reader.pages[1].extract_text())
    assert "What closing the gaps takes, and its cost a year" in first_two and "local assumption" in first_two
    text = flat(text_of(needs_pdf[0]))
    assert "tools/" not in text and "python -m" not in text and "`" not in text  # no paths or commands
    assert "Office for National Statistics (ONS)" in text and "TS001" in text
    assert "census-quiz" not in text
    assert "accessible HTML version" in flat(reader.pages[1].extract_text() + reader.pages[2].extract_text())
    assert "\u2212" in text                                # negative shortfalls with a real minus sign
    assert "Learningdisability" not in text and "disabilit y" not in text
    assert "No need" in text                               # the City's learning-disability IDVA need rounds to 0.0
    # URLs break only after a slash or hyphen: joined there, each is whole again (not "ht tps://")
    joined = re.sub(r"(?<=[/-])\s+", "", text_of(needs_pdf[0]))
    for source in ds.sources:
        if source.get("url"):
            assert source["url"] in joined, source["url"]
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]


def test_evaluation_decision_summary_page(scored, evaluation_pdf):
    result, _ = scored
    reader = PdfReader(io.BytesIO(evaluation_pdf))
    page = flat(reader.pages[0].extract_text())     # the decisions lead page 1
    assert "Decision summary" in page and "Recommended bid and its value, by lot" in page
    table = result.table
    for lot in ("North East", "South", "West"):
        first = table.loc[(table["lot"] == lot) & (table["rank"] == 1)].iloc[0]
        assert f"{lot} {first.bid_id} {first.organisation}" in page
        assert f"£{first.price_amount:,.0f}" in page and f"{first.total:.2f}" in page
    value = table.loc[table["rank"] == 1, "price_amount"].sum()   # 412,000 + 298,000 + 254,000
    assert value == 964_000 and ("Value of the recommended bids: £964,000 a year, £2,892,000 over the initial 3-year term, "
                                 "across 3 lots.") in page
    assert "NE-03 (North East, rank 2): abnormally low price: £228,000 is under 70% of the lot median £365,000" \
        in page
    assert "W-02 (West, rank 2)" in page and "S-02 (South): did not meet the pass/fail requirement safeguarding" in page
    assert "Panel chair, Commissioner, Finance / procurement" in page
    # no register supplied: the summary and the sign-off say so, and never confirm declarations
    text = flat(text_of(evaluation_pdf))
    assert "No register of conflict declarations was supplied" in page
    assert "conflicts of interest were declared before scoring" not in text
    assert "register of conflict declarations (not supplied to this report) has been checked and is attached" in text
    assert "Quality (/60) Social value (/10) Price (/30) Total (/100)" in text
    assert ("Failed: W-03: Q3 (Safeguarding and risk management) scored 1 after moderation, below the minimum of 2 "
            "a bid needs to pass." in text)
    assert not re.search(r"(?<![£\d,])\d{6}(?!\d)", text.replace("2027", ""))  # money never unformatted


def test_priorities_at_a_glance_first_page(rules, priorities_pdf):
    reader = PdfReader(io.BytesIO(priorities_pdf))
    first = flat(reader.pages[0].extract_text())
    for words in ("At a glance", "Priorities and scoring rules published 15 January 2027",
                  "Bids invited 20 April 2027", "Deadline for bids 4 June 2027", "Award 1 September 2027",
                  "Contract: 3 years, with an optional extension of up to 2 years.", "How to bid:",
                  "Questions: Victim services commissioning team"):
        assert words in first, words
    for lot in rules.lots:
        assert lot.name in first and f"£{lot.indicative_value_gbp:,.0f}" in first
    assert "All lots 33 authorities £1,200,000" in first
    text = flat(text_of(priorities_pdf))
    assert "West: Barnet, Brent, Camden" in text and "(11 authorities)" in text   # the Lots chapter
    assert text.index("1. Close the Refuge gap") < text.index("2. Close the ISVA gap") \
        < text.index("4. Move IDVA capacity towards")


def test_priorities_multiply_with_a_times_sign(ds, priorities_pdf):
    isva = ds.benchmarks.services["isva"].model
    text = flat(text_of(priorities_pdf))
    assert f"sexual offences × {isva.referral_share:.0%} referred / {isva.cases_per_fte:g} cases per FTE" in text
    assert "sexual offences x" not in text


def test_evaluation_bid_headings_keep_rank_and_total_on_one_line(scored, evaluation_pdf):
    result, _ = scored
    lines = [line.strip() for line in text_of(evaluation_pdf).replace("\u00a0", " ").splitlines()]
    assert sum(": rank " in line for line in lines) >= 2 * len(result.table.loc[result.table["rank"].notna()])
    assert [line for line in lines if re.search(r"(: rank|, total)$", line)] == []
