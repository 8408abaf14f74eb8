"""The assessment summary a bidder receives, as a PDF (and the same content as accessible HTML).

Layout: the outcome first (plain words), the standstill dates, then a table per bid — the
bidder's own, then the winning bid's — with each criterion's score, points and the panel's
reasons. Nothing about any other bid, and no scorer's name (see
:mod:`commissioning.publish.summaries`).
"""

from __future__ import annotations

from reportlab.platypus import Spacer

from commissioning.publish.summaries import AssessmentSummary, BidAssessment
from commissioning.publish.html import Document
from commissioning.publish.pdf.style import (
    data_table,
    deliver,
    esc,
    fmt,
    heading,
    para,
    render,
    today_text,
)


def _score(value, maximum) -> str:
    return "–" if value is None else f"{value:g} of {maximum}"


def _rows(bid: BidAssessment, price_weight: float) -> list[list[str]]:
    rows = [["Criterion", "Score", "Points", "The panel's reasons"]]
    for c in bid.criteria:
        rows.append([esc(f"{c.criterion}. {c.title}"), _score(c.score, c.max_score),
                     f"{fmt(c.points, 2)} of {fmt(c.max_points, 2)}",
                     "<br/>".join(esc(r) for r in c.reasons) or "–"])
    rows.append(["Price", "", f"{fmt(bid.price, 2)} of {fmt(price_weight, 2)}", ""])
    rows.append(["Total", "", f"{fmt(bid.total, 2)} of 100.00", ""])
    return rows


def _bid_heading(bid: BidAssessment, own: bool) -> str:
    who = "Your bid" if own else "The winning bid"
    return f"{who}: {bid.bid_id}, {bid.organisation}"


def _dates(s: AssessmentSummary) -> str:
    return (f"This summary is given on {today_text(s.notice)}. The standstill period runs from "
            f"{today_text(s.standstill_start)} to the end of {today_text(s.standstill_end)} (eight working "
            "days, Procurement Act 2023); the contract will not be entered into before it ends.")


def summary_pdf(s: AssessmentSummary, out=None) -> bytes:
    """The PDF bytes of one assessment summary (written atomically to ``out`` when given)."""
    story = [heading(f"Assessment summary: bid {s.bid.bid_id}"),
             para(esc(f"{s.round_title}, lot {s.lot}."), "body"),
             heading("Outcome", 2), para(esc(s.outcome)),
             heading("Standstill", 2), para(esc(_dates(s))), Spacer(1, 6)]
    bids = [(s.bid, True)] + ([(s.winner, False)] if s.winner is not None and not s.is_winner else [])
    for bid, own in bids:
        story += [heading(_bid_heading(bid, own), 2),
                  data_table(_rows(bid, s.price_weight), [0.27, 0.1, 0.15, 0.48], align_right=(1, 2), total_row=True,
                             split_in_row=True),
                  Spacer(1, 8)]
    story.append(para("Scores are the panel's moderated scores on the published scale; points are the "
                      "criterion's share of the total under the published weights.", "small"))
    pdf = render(story, title=f"Assessment summary: bid {s.bid.bid_id}", subject=s.round_title,
                 author="Commissioner", header=f"{s.round_title}: assessment summary", toc=False)
    return deliver(pdf, out)


def summary_html(s: AssessmentSummary) -> str:
    """The same summary as an accessible HTML page (escaped text, captioned tables)."""
    doc = Document(f"Assessment summary: bid {s.bid.bid_id}", subtitle=f"{s.round_title}, lot {s.lot}")
    doc.heading("Outcome").paragraph(s.outcome).heading("Standstill").paragraph(_dates(s))
    bids = [(s.bid, True)] + ([(s.winner, False)] if s.winner is not None and not s.is_winner else [])
    for bid, own in bids:
        rows = [[f"{c.criterion}. {c.title}", _score(c.score, c.max_score),
                 f"{fmt(c.points, 2)} of {fmt(c.max_points, 2)}", " / ".join(c.reasons) or "–"]
                for c in bid.criteria]
        rows += [["Price", "", f"{fmt(bid.price, 2)} of {fmt(s.price_weight, 2)}", ""], ["Total", "", f"{fmt(bid.total, 2)} of 100.00", ""]]
        doc.heading(_bid_heading(bid, own)).table(
            rows, _bid_heading(bid, own), columns=["Criterion", "Score", "Points", "The panel's reasons"])
    return doc.render()
