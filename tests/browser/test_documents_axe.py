"""The accessible HTML versions of the documents (needs assessment, published priorities, evaluation
report, a bidder's assessment summary and the two quarterly publications, victim satisfaction and
provider returns), opened in Debian's headless Chromium
(Playwright) and checked with axe-core: no serious or critical violation of WCAG 2.2 A/AA rules.

Skips only when Chromium, Playwright or axe-core is missing locally; with
COMMISSIONING_REQUIRE_BROWSER=1 (CI) a missing piece fails instead. axe-core is looked for at
$COMMISSIONING_AXE_JS, then node_modules/axe-core/axe.min.js in the repository (``npm install``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from harness import AXE_JS, REPO, launch, require_browser

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


require_browser(need_axe=True)

from playwright.sync_api import sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    from commissioning.needs.assessment import run_assessment
    from commissioning.needs.dataset import load_dataset
    from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
    from commissioning.procurement.rules import load_rules
    from commissioning.procurement.scoring import score_bids
    from commissioning.publish.pdf.evaluation import build_evaluation_html
    from commissioning.publish.pdf.needs import build_needs_html
    from commissioning.publish.pdf.priorities import build_priorities_html
    from commissioning.publish.pdf.summaries import summary_html
    from commissioning.publish.summaries import build_summaries
    from commissioning.publish import returns_document
    from commissioning.returns.publication import build_publication as returns_publication
    from commissioning.returns.reader import read_returns
    from commissioning.publish import satisfaction_document
    from commissioning.satisfaction import publication as satisfaction

    folder = tmp_path_factory.mktemp("documents")
    assessment, rules = run_assessment(load_dataset()), load_rules()
    example = REPO / "data" / "example_bids"
    moderation = read_moderation(example / "moderation.csv")
    result = score_bids(rules, read_bids(example / "bids.csv"), read_scores(example / "scores.csv"), moderation)
    out = {name: folder / f"{name}.html"
           for name in ("needs", "priorities", "evaluation", "summary", "satisfaction", "returns")}
    build_needs_html(assessment, out["needs"], dpi=50, date=dt.date(2026, 12, 2))
    build_priorities_html(assessment, rules, out["priorities"])
    build_evaluation_html(rules, result, out["evaluation"], moderation=moderation, n_draws=100,
                          illustrative="example bids")
    summary = next(s for s in build_summaries(result, notice=dt.date(2027, 6, 21)) if s.bid.bid_id == "NE-02")
    out["summary"].write_text(summary_html(summary), encoding="utf-8")
    satisfaction_document.build_html(satisfaction.build_publication(satisfaction.load_inputs(), "2026Q3"),
                                     out["satisfaction"])
    returns = read_returns(REPO / "data" / "returns" / "returns_illustrative.csv",
                           ["idva", "isva", "refuge", "ld_advocate"]).assign(basis="illustrative")
    returns_document.build_html(returns_publication(returns, "2026Q3"), out["returns"])
    return out


def test_documents_pass_axe(documents):
    axe = AXE_JS.read_text(encoding="utf-8")
    failures = {}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        for name, path in documents.items():
            page.goto(path.as_uri())
            page.add_script_tag(content=axe)
            result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
            bad = [f"{v['id']} ({v['impact']}): {v['help']} ({len(v['nodes'])} nodes)"
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
            if bad:
                failures[name] = bad
            assert result["passes"], f"{name}: axe ran no rule"
            # the structure the brief asks for, read from the page itself
            assert page.evaluate("document.documentElement.lang") == "en-GB"
            assert page.locator("a.skip[href='#main']").count() == 1
            assert page.locator("h1").count() == 1
            tables = page.locator("table")
            assert tables.count() > 0
            assert tables.count() == page.locator("table > caption").count(), f"{name}: a table without caption"
            assert page.locator("table:not(:has(th[scope='col']))").count() == 0, f"{name}: a table without headers"
            assert page.locator("img:not([alt]), img[alt='']").count() == 0, f"{name}: an image without alt text"
        browser.close()
    assert not failures, failures
