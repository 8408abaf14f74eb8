"""The assessment summary a bidder receives, one outline rendered to PDF and HTML, on the example bids:
the points and totals worked out here from the scores, each reason on its own line in both formats,
a failed bid's missing price points shown as a dash alone, and no word split across lines."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from document_checks import Page, check_page_structure, split_words
from pypdf import PdfReader

from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.publish.pdf.summaries import (
    summary_html,
    summary_outline,
    summary_pdf,
)
from commissioning.publish.summaries import build_summaries

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "example_bids"


@pytest.fixture(scope="module")
def summaries():
    moderation = read_moderation(EXAMPLE / "moderation.csv")
    result = score_bids(load_rules(), read_bids(EXAMPLE / "bids.csv"), read_scores(EXAMPLE / "scores.csv"),
                        moderation)
    reasons = {(r.bid_id, r.criterion): r.reason for r in moderation.itertuples()}
    return {s.bid.bid_id: s for s in build_summaries(result, notice=dt.date(2027, 6, 21), moderation_reasons=reasons,
                                                     scorer_names=["panel-a", "panel-b", "panel-c"])}


def test_summary_html_structure_and_points_by_hand(summaries):
    s = summaries["NE-02"]
    page = Page(summary_html(s))
    check_page_structure(page, "Assessment summary: bid NE-02")
    assert [t for h, t in page.headings if h == "h2"] == [
        "Contents", "Outcome", "Standstill", "Your bid: NE-02, Lea Valley Survivors' Network (fictional)",
        "The winning bid: NE-01, Thamesreach Women's Advocacy (fictional)", "Glossary"]
    own = page.tables[0]
    assert own["caption"] == "Your bid: NE-02, Lea Valley Survivors' Network (fictional)"
    assert own["cols"] == ["Criterion", "Score", "Points", "The panel's reasons"]
    # Q1 is worth quality 60% x 20% = 12 points; the chair moderated NE-02's Q1 to 3 of 5: 12 x 3/5 = 7.20
    q1 = [c[2] for c in own["rows"][1]]
    assert q1[:3] == ["Q1. Understanding of victims' needs", "3 of 5", "7.20 of 12.00"]
    q1_cell = summary_html(s).split("Q1. Understanding of victims&#x27; needs</th>")[1].split("</tr>")[0]
    assert q1_cell.count("<br>") == 3 and "(a panel member)<br>Moderation: Moderated to 3: good evidence" in q1_cell
    points = [float(c[2][2].split(" of ")[0]) for c in own["rows"][1:-2]]
    price = float(own["rows"][-2][2][2].split(" of ")[0])
    assert [c[2] for c in own["rows"][-1]] == ["Total", "", f"{sum(points) + price:.2f} of 100.00", ""]
    assert "Scores are the panel&#x27;s moderated scores" in summary_html(s)


def test_a_failed_bid_shows_no_price_points(summaries):
    page = Page(summary_html(summaries["S-02"]))
    own = page.tables[0]
    assert [c[2] for c in own["rows"][-2]] == ["Price", "", "–", ""]
    assert [c[2] for c in own["rows"][-1]] == ["Total", "", "–", ""]
    pdf = PdfReader(io.BytesIO(summary_pdf(summaries["S-02"])))
    assert "– of" not in " ".join(" ".join(p.extract_text() for p in pdf.pages).split())


@pytest.mark.parametrize("bid", ["NE-02", "S-02", "W-02"])
def test_no_word_or_total_is_split_in_the_summary_pdf(summaries, bid):
    s = summaries[bid]
    pdf = summary_pdf(s)
    assert split_words(pdf, summary_outline(s), f"{s.round_title}: assessment summary") == []
    lines = [line.strip() for p in PdfReader(io.BytesIO(pdf)).pages for line in p.extract_text().splitlines()]
    if s.bid.total is not None:     # the bold total on one line: "64.94 of 100.00", not "64.94 of" and "100.00"
        assert f"{s.bid.total:.2f} of 100.00" in lines
