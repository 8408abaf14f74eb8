"""The assessment summary a bidder receives: one :class:`~commissioning.publish.outline.Outline`,
rendered to PDF and to accessible HTML.

Layout: the outcome first (plain words), the standstill dates, then a table per bid — the
bidder's own, then the winning bid's — with each criterion's score, points and the panel's
reasons. Nothing about any other bid, and no scorer's name (see
:mod:`commissioning.publish.summaries`).
"""

from __future__ import annotations

from commissioning.publish.glossary import glossary_outline
from commissioning.publish.outline import Outline, to_html
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import deliver, fmt, render, today_text
from commissioning.publish.summaries import AssessmentSummary, BidAssessment
from commissioning.publish.wording import illustrative_words

NOT_SCORED = "–"


def _score(value, maximum) -> str:
    return NOT_SCORED if value is None else f"{value:g} of {maximum}"


def _points(value, maximum: float) -> str:
    """Points earned of the maximum, to two decimals ("–" alone when there are none: a failed bid's price)."""
    return NOT_SCORED if value is None else f"{fmt(value, 2)} of {fmt(maximum, 2)}"


def _rows(bid: BidAssessment, price_weight: float) -> list[list]:
    rows = [["Criterion", "Score", "Points", "The panel's reasons"]]
    for c in bid.criteria:
        rows.append([f"{c.criterion}. {c.title}", _score(c.score, c.max_score), _points(c.points, c.max_points),
                     "\n".join(c.reasons) or NOT_SCORED])
    rows.append(["Price", "", _points(bid.price, price_weight), ""])
    rows.append(["Total", "", _points(bid.total, 100), ""])
    return rows


def _bid_heading(bid: BidAssessment, own: bool) -> str:
    who = "Your bid" if own else "The winning bid"
    return f"{who}: {bid.bid_id}, {bid.organisation}"


def _dates(s: AssessmentSummary) -> str:
    return (f"The assessment summaries were issued to every bidder on {today_text(s.notice)}, the notice date. "
            f"The standstill period runs from "
            f"{today_text(s.standstill_start)} to the end of {today_text(s.standstill_end)} (eight working "
            "days, Procurement Act 2023); the contract will not be entered into before it ends.")


def _title(s: AssessmentSummary) -> str:
    return f"Assessment summary: bid {s.bid.bid_id}"


def _subtitle(s: AssessmentSummary) -> str:
    return f"{s.round_title}, lot {s.lot}."


def summary_outline(s: AssessmentSummary) -> Outline:
    """One bidder's summary: the outcome, the standstill, its own bid's table and the winner's."""
    o = Outline().para(_title(s), style="title").para(_subtitle(s), style="subtitle")
    if s.illustrative:
        o.notice(illustrative_words([s.illustrative]))
    o.heading("Outcome").para(s.outcome).heading("Standstill").para(_dates(s)).spacer(6)
    bids = [(s.bid, True)] + ([(s.winner, False)] if s.winner is not None and not s.is_winner else [])
    for bid, own in bids:       # each bid's table whole on one page, its heading with it
        o.keep(Outline().heading(_bid_heading(bid, own))
               .table(_rows(bid, s.price_weight), caption=_bid_heading(bid, own), widths=[0.22, 0.09, 0.22, 0.47],
                      align_right=(1, 2), total_row=True, split_in_row=True).spacer(8))
    o.para("Scores are the panel's moderated scores on the published scale; points are the "
           "criterion's share of the total under the published weights.", style="small")
    return o.extend(glossary_outline(o))


def summary_pdf(s: AssessmentSummary, out=None) -> bytes:
    """The PDF bytes of one assessment summary (written atomically to ``out`` when given)."""
    pdf = render(to_story(summary_outline(s)), title=_title(s), subject=s.round_title, author="Commissioner",
                 header=f"{s.round_title}: assessment summary", toc=False)
    return deliver(pdf, out)


def summary_html(s: AssessmentSummary) -> str:
    """The same summary as an accessible HTML page (escaped text, captioned tables)."""
    return to_html(summary_outline(s), title=_title(s), subtitle=_subtitle(s))
