"""Every statement in every assessment summary of the example round, checked against the ranking:
the outcome's sentences (rank, count, totals, the gap to the winner, the criteria it fell behind on,
which price scored higher, why a bid failed) and both tables' points and totals, all recomputed here
from the ScoringResult. A sentence the parser does not recognise fails the test, so a new statement
needs a check before it can reach a bidder."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from document_checks import Page

from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.publish.pdf.summaries import summary_html
from commissioning.publish.summaries import build_summaries

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "example_bids"


@pytest.fixture(scope="module")
def round_result():
    return score_bids(load_rules(), read_bids(EXAMPLE / "bids.csv"), read_scores(EXAMPLE / "scores.csv"),
                      read_moderation(EXAMPLE / "moderation.csv"))


def _sentences(text: str) -> list[str]:
    # Split after a full stop that ends a sentence (not inside "74.20").
    return [s.strip() for s in re.split(r"(?<=\.)\s+(?=[A-Z])", text.strip()) if s.strip()]


def _check_outcome(text: str, row, table, points) -> None:
    lot = table[table["lot"] == row.lot]
    ranked = int(lot["rank"].notna().sum())
    winner = lot[lot["rank"] == 1].iloc[0]
    for sentence in _sentences(text):
        if m := re.fullmatch(r"Your bid ranked first of (\d+) in the lot with ([\d.]+) of 100 points and is "
                             r"the successful bid, subject to the standstill period below\.", sentence):
            assert row.bid_id == winner.bid_id and row.rank == 1
            assert int(m[1]) == ranked and float(m[2]) == round(row.total, 2)
        elif m := re.fullmatch(r"Your bid ranked (\d+) of (\d+) in the lot with ([\d.]+) of 100 points; the "
                               r"winning bid scored ([\d.]+), ([\d.]+) points more\.", sentence):
            assert row.bid_id != winner.bid_id
            assert (int(m[1]), int(m[2])) == (row.rank, ranked)
            assert float(m[3]) == round(row.total, 2) and float(m[4]) == round(winner.total, 2)
            assert float(m[5]) == round(winner.total - row.total, 2)
        elif m := re.fullmatch(r"It scored most below the winning bid on (.+)\.", sentence):
            # each item: the criterion's id, its title, then the points behind: "Q3 Safeguarding ... (4.80 points)"
            named = re.findall(r"(?:^|, )(\S+) [^()]*\(([\d.]+) points\)", m[1])
            gaps = (points.loc[winner.bid_id] - points.loc[row.bid_id]).sort_values(ascending=False)
            expected = [(c, round(g, 2)) for c, g in gaps.items() if g > 0][:3]
            assert [(c, float(g)) for c, g in named] == expected
        elif m := re.fullmatch(r"Your price scored higher \(([\d.]+) against ([\d.]+) points\)\.", sentence):
            assert round(row.price, 2) > round(winner.price, 2)
            assert (float(m[1]), float(m[2])) == (round(row.price, 2), round(winner.price, 2))
        elif m := re.fullmatch(r"The winning bid's price scored higher \(([\d.]+) against your ([\d.]+) "
                               r"points\)\.", sentence):
            assert round(winner.price, 2) > round(row.price, 2)
            assert (float(m[1]), float(m[2])) == (round(winner.price, 2), round(row.price, 2))
        elif m := re.fullmatch(r"Your bid was not ranked: (.+)\.", sentence):
            assert row.status == "failed" and m[1] == row.reasons
        elif sentence == ("Under the published rules a bid that fails a gate or scores below a criterion's "
                          "minimum cannot win."):
            assert row.status == "failed"
        else:
            raise AssertionError(f"{row.bid_id}: unchecked statement {sentence!r}")


def _check_table(rows, bid_id: str, result) -> None:
    cells = [[c[2] for c in r] for r in rows[1:]]
    for criterion, line in zip(result.rules.criteria, cells):
        assert line[0].startswith(f"{criterion.id}. ")
        value = result.points.loc[bid_id, criterion.id]
        if value == value:   # not NaN
            assert line[2].split(" of ")[0] == f"{value:.2f}"
    row = result.table.set_index("bid_id").loc[bid_id]
    for label, value in (("Price", row["price"]), ("Total", row["total"])):
        line = next(c for c in cells if c[0] == label)
        assert line[2] == ("–" if value != value else f"{value:.2f} of {100 if label == 'Total' else 30:.2f}")


def test_every_statement_in_every_summary_matches_the_ranking(round_result):
    summaries = build_summaries(round_result, notice=dt.date(2027, 6, 21))
    table = round_result.table
    assert sorted(s.bid.bid_id for s in summaries) == sorted(table["bid_id"])
    seen_price_sentence = 0
    for s in summaries:
        row = next(table[table["bid_id"] == s.bid.bid_id].itertuples())
        _check_outcome(s.outcome, row, table, round_result.points)
        seen_price_sentence += "price scored higher" in s.outcome
        page = Page(summary_html(s))
        _check_table(page.tables[0]["rows"], s.bid.bid_id, round_result)
        winners = table[(table["lot"] == row.lot) & (table["rank"] == 1)]
        assert s.is_winner == (row.bid_id in set(winners["bid_id"]))
        if not s.is_winner and len(winners):
            assert len(page.tables) == 2
            _check_table(page.tables[1]["rows"], winners["bid_id"].iloc[0], round_result)
        else:
            assert len(page.tables) == 1
    # The example has losing bids on both sides: W-02 (29.08 against the winner's 30.00) and NE-03
    # (30.00 against 16.60); at least these two price sentences were checked.
    assert seen_price_sentence >= 2
