"""Every published document built once from the embedded example data, as its outline with the PDF
and the HTML rendered from it: the needs assessment, the published priorities, the evaluation report,
the two quarterly publications (victim satisfaction, provider returns) and the assessment summaries
(the winner's and a failed bid's). Maps and charts at a low resolution to keep the tests quick."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from commissioning.demand.contract import contract_from_rules
from commissioning.needs.assessment import run_assessment
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.publish import returns_document, satisfaction_document
from commissioning.publish.outline import Outline, to_html
from commissioning.publish.pdf.evaluation import evaluation_outline
from commissioning.publish.pdf.needs import needs_outline
from commissioning.publish.pdf.priorities import priorities_outline
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import render
from commissioning.publish.pdf.summaries import summary_outline
from commissioning.publish.summaries import build_summaries
from commissioning.returns.publication import build_publication as returns_publication
from commissioning.returns.reader import read_returns
from commissioning.satisfaction import publication as satisfaction
from commissioning.satisfaction.chart import chart_png

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "data" / "example_bids"
SERVICES = ["idva", "isva", "refuge", "ld_advocate"]
DAY = dt.date(2026, 12, 2)


@dataclass
class Built:
    outline: Outline
    pdf: bytes
    html: str


def built(outline: Outline, title: str, *, toc: bool = False) -> Built:
    pdf = render(to_story(outline), title=title, subject=title, author="test", header=title, footer="footer",
                 toc=toc)
    return Built(outline, pdf, to_html(outline, title=title))


def build_all(names=None) -> dict[str, Built]:
    """{document name: its outline, PDF and HTML}, for every document or those in ``names``."""
    rules = load_rules()
    assessment = run_assessment(load_dataset())
    returns = read_returns(REPO / "data/returns/returns_illustrative.csv", SERVICES).assign(basis="illustrative")
    moderation = read_moderation(EXAMPLE / "moderation.csv")
    result = score_bids(rules, read_bids(EXAMPLE / "bids.csv"), read_scores(EXAMPLE / "scores.csv"), moderation)
    notes = {(r.bid_id, r.criterion): r.note for r in moderation.itertuples()}
    summaries = {s.bid.bid_id: s for s in build_summaries(result, notice=dt.date(2027, 6, 21), moderation_reasons=notes)}
    sat = satisfaction.build_publication(satisfaction.load_inputs(), "2026Q3")
    builders = {
        "needs": lambda: built(needs_outline(assessment, dpi=30, contract=contract_from_rules(rules), returns=returns,
                                             date=DAY), "Needs assessment", toc=True),
        "priorities": lambda: built(priorities_outline(assessment, rules), "Priorities", toc=True),
        "evaluation": lambda: built(evaluation_outline(rules, result, moderation=moderation, n_draws=50,
                                                       illustrative="the example bids", date=DAY), "Evaluation",
                                    toc=True),
        "satisfaction": lambda: built(satisfaction_document.satisfaction_outline(sat, chart_png(sat, dpi=60),
                                                                                 date=DAY), "Satisfaction"),
        "returns": lambda: built(returns_document.returns_outline(returns_publication(returns, "2026Q3"), date=DAY),
                                 "Returns"),
    }
    for bid_id in ("NE-01", "NE-02", "S-02"):
        builders[f"summary {bid_id}"] = lambda bid_id=bid_id: built(summary_outline(summaries[bid_id]),
                                                                     f"Summary {bid_id}")
    return {name: build() for name, build in builders.items() if names is None or name in names}
