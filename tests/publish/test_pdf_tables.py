"""Issue 16: table text in the needs assessment, published priorities and evaluation report PDFs is
at least 9 pt (10 where the columns fit) and no word is wider than its cell, so none is split
mid-word or runs over the cell's edge. Read from the reportlab tables themselves: each cell
paragraph's text runs with their fonts and sizes, against the column widths and paddings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, Table

from commissioning.demand.contract import contract_from_rules
from commissioning.needs.assessment import run_assessment
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.rules import load_rules
from commissioning.publish.pdf.story import to_story
from commissioning.returns.reader import read_returns

REPO = Path(__file__).resolve().parents[2]


def cells(story: list):
    """(paragraph, room in points) for every paragraph cell of every table in ``story``."""
    for flowable in story:
        if isinstance(flowable, KeepTogether):
            yield from cells(flowable._content)
        elif isinstance(flowable, Table):
            rows, columns = len(flowable._cellvalues), len(flowable._colWidths)
            first_col, hidden = {}, set()      # a spanned cell: its first and last column; the cells it covers
            for _, (c0, r0), (c1, r1) in flowable._spanCmds:
                c0, c1, r0, r1 = c0 % columns, c1 % columns, r0 % rows, r1 % rows
                first_col[c0, r0] = c1
                hidden |= {(c, r) for c in range(c0, c1 + 1) for r in range(r0, r1 + 1)} - {(c0, r0)}
            for r, row in enumerate(flowable._cellvalues):
                for c, value in enumerate(row):
                    if isinstance(value, Paragraph) and (c, r) not in hidden:
                        style = flowable._cellStyles[r][c]
                        yield value, (sum(flowable._colWidths[c:first_col.get((c, r), c) + 1])
                                      - style.leftPadding - style.rightPadding)


def words(paragraph: Paragraph) -> list[tuple[str, float]]:
    """The paragraph's words (split at spaces and line breaks) with their widths at their fonts."""
    out, word, width = [], "", 0.0
    for frag in paragraph.frags:
        if getattr(frag, "lineBreak", False):
            out.append((word, width))
            word, width = "", 0.0
        for ch in getattr(frag, "text", ""):
            if ch.isspace():
                out.append((word, width))
                word, width = "", 0.0
            else:
                word += ch
                width += stringWidth(ch, frag.fontName, frag.fontSize)
    return [w for w in out + [(word, width)] if w[0]]


@pytest.fixture(scope="module")
def documents() -> dict[str, list]:
    from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
    from commissioning.procurement.scoring import score_bids
    from commissioning.publish.pdf.evaluation import evaluation_outline
    from commissioning.publish.pdf.needs import needs_outline
    from commissioning.publish.pdf.priorities import priorities_outline

    assessment, rules = run_assessment(load_dataset()), load_rules()
    returns = read_returns(REPO / "data/returns/returns_illustrative.csv",
                           ["idva", "isva", "refuge", "ld_advocate"]).assign(basis="illustrative")
    example = REPO / "data" / "example_bids"
    moderation = read_moderation(example / "moderation.csv")
    result = score_bids(rules, read_bids(example / "bids.csv"), read_scores(example / "scores.csv"), moderation)
    return {
        "needs": to_story(needs_outline(assessment, dpi=20, contract=contract_from_rules(rules), returns=returns,
                                        date=dt.date(2026, 12, 2))),
        "priorities": to_story(priorities_outline(assessment, rules)),
        "evaluation": to_story(evaluation_outline(rules, result, moderation=moderation, n_draws=50,
                                                  illustrative="the example bids")),
    }


@pytest.mark.parametrize("name", ["needs", "priorities", "evaluation"])
def test_table_text_is_at_least_9_pt_and_every_word_fits_its_cell(documents, name):
    found = list(cells(documents[name]))
    assert len(found) > 100
    sizes = [frag.fontSize for paragraph, _ in found for frag in paragraph.frags]
    assert min(sizes) >= 9
    assert sizes.count(10) > len(sizes) / 2      # most tables fit at the body's 10 pt
    too_wide = {(word, round(width), round(room)) for paragraph, room in found for word, width in words(paragraph)
                if width > room + 0.01}
    assert not too_wide, sorted(too_wide)


def test_the_checks_see_a_word_too_wide_for_its_cell():
    from commissioning.publish.outline import Outline

    story = to_story(Outline().table([["Name", "Value"], ["Incomprehensibilities", "1"]], caption="c",
                                     widths=[0.1, 0.9]))
    cell, room = {paragraph.text: (paragraph, room) for paragraph, room in cells(story)}["Incomprehensibilities"]
    assert cell.style.fontSize == 9    # too wide at 10 pt, and at 9 pt: the tables drop to 9 pt
    assert [w for w, width in words(cell) if width > room] == ["Incomprehensibilities"]


def test_fitted_widths_give_every_word_its_room_and_share_the_rest_by_weight():
    from commissioning.publish.pdf import style

    rows = [["Respondents", "Area"], ["1,234", "Kensington and Chelsea"]]
    widths = style.fitted_widths(rows, [1, 3])
    assert sum(widths) == pytest.approx(1.0)
    room = [w * style.CONTENT_WIDTH - style.CELL_PADDING for w in widths]
    assert room[0] >= style.widest_word("Respondents", style.CELL_SIZE, bold=True)
    assert room[1] >= style.widest_word("Kensington", style.CELL_SIZE)
    assert widths[1] > widths[0]                      # the room left goes 3 to 1
    too_wide = [["Respondentsandmore" * 3] * 4]       # no size fits: the weights come back
    assert style.fitted_widths(too_wide, [1, 1, 1, 1]) == [0.25] * 4
