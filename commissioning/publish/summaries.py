"""Assessment summaries (Procurement Act 2023, s.50): what each bidder is told after the lock.

One :class:`AssessmentSummary` per assessed bid: its score on every award criterion with the
panel's reasons, its total, the same for the winning bid of its lot, why it did or did not win,
and the standstill dates. A bidder sees its own bid and the winner's, never another bid; reasons
never name a scorer (their usernames and display names are replaced by "a panel member").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commissioning.errors import StoreError
from commissioning.procurement.lifecycle import standstill
from commissioning.procurement.scoring import ScoringResult
from commissioning.publish.wording import EXAMPLE_ROUND_NOTE, is_illustrative_round


@dataclass(frozen=True)
class CriterionAssessment:
    criterion: str
    title: str
    score: float | None          # moderated score on the scale (None: not scored, bid failed a gate)
    max_score: int
    points: float | None         # points earned of max_points
    max_points: float
    reasons: tuple[str, ...]     # the panel's reasons, then the chair's reason for the bidder when moderated


@dataclass(frozen=True)
class BidAssessment:
    bid_id: str
    organisation: str
    status: str
    rank: int | None
    total: float | None
    quality: float | None
    social_value: float | None
    price: float | None
    criteria: tuple[CriterionAssessment, ...]


@dataclass(frozen=True)
class AssessmentSummary:
    round_title: str
    lot: str
    bid: BidAssessment
    winner: BidAssessment | None   # None when no bid in the lot was ranked
    is_winner: bool
    outcome: str
    notice: dt.date
    standstill_start: dt.date
    standstill_end: dt.date
    price_weight: float
    illustrative: str | None = None   # what is illustrative (an example round), shown as the notice

def anonymiser(names) -> callable:
    """A function replacing every given name (whole words, any case) by "a panel member"."""
    names = sorted({str(n).strip() for n in names if str(n).strip()}, key=len, reverse=True)
    if not names:
        return lambda text: text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])", re.IGNORECASE)
    return lambda text: pattern.sub("a panel member", str(text))


def _opt(value):
    return None if value is None or pd.isna(value) else value


def _assess(result: ScoringResult, bid_id: str, moderation_reasons: dict, hide) -> BidAssessment:
    row = result.table.set_index("bid_id").loc[bid_id]
    mine = result.scores[result.scores["bid_id"] == bid_id]
    items = []
    for c in result.rules.criteria:
        given = mine[mine["criterion"] == c.id]
        reasons = [hide(t) for t in given.get("comment", pd.Series(dtype=object)).astype(str) if t.strip()]
        if result.basis.loc[bid_id, c.id] == "chair":
            reasons.append("Moderation: " + hide(moderation_reasons.get((bid_id, c.id))
                                                 or "the panel chair set this score at moderation."))
        score = result.moderated.loc[bid_id, c.id]
        points = result.points.loc[bid_id, c.id]
        items.append(CriterionAssessment(
            c.id, c.title, None if np.isnan(score) else float(score), c.max_score,
            None if np.isnan(points) else float(points),
            result.rules.weights[c.section] * c.weight / 100.0, tuple(reasons)))
    rank = _opt(row["rank"])
    return BidAssessment(bid_id, str(row["organisation"]), str(row["status"]),
                         None if rank is None else int(rank), _opt(row["total"]),
                         _opt(row["quality"]), _opt(row["social_value"]), _opt(row["price"]), tuple(items))


def _outcome(bid: BidAssessment, winner: BidAssessment | None, reasons: str, ranked: int) -> str:
    if winner is not None and bid.bid_id == winner.bid_id:
        return (f"Your bid ranked first of {ranked} in the lot with {bid.total:.2f} of 100 points and is "
                "the successful bid, subject to the standstill period below.")
    if bid.status == "failed":
        return (f"Your bid was not ranked: {reasons}. Under the published rules a bid that fails a "
                "gate or scores below a criterion's minimum cannot win.")
    gaps = sorted(((w.points or 0) - (m.points or 0), m.criterion) for m, w in zip(bid.criteria, winner.criteria))
    titles = {c.criterion: c.title for c in bid.criteria}
    behind = [f"{cid} {titles[cid]} ({gap:.2f} points)" for gap, cid in reversed(gaps) if gap > 0][:3]
    text = (f"Your bid ranked {bid.rank} of {ranked} in the lot with {bid.total:.2f} of 100 points; the "
            f"winning bid scored {winner.total:.2f}, {winner.total - bid.total:.2f} points more.")
    if behind:
        text += " It scored most below the winning bid on " + ", ".join(behind) + "."
    mine, theirs = round(bid.price or 0, 2), round(winner.price or 0, 2)
    if mine > theirs:
        text += f" Your price scored higher ({mine:.2f} against {theirs:.2f} points)."
    elif theirs > mine:
        text += f" The winning bid's price scored higher ({theirs:.2f} against your {mine:.2f} points)."
    return text


def build_summaries(result: ScoringResult, *, notice: dt.date, scorer_names=(),
                    moderation_reasons: dict[tuple[str, str], str] | None = None,
                    illustrative: str | None = None) -> list[AssessmentSummary]:
    """One summary per bid of ``result`` (a locked round's ranking), in lot and rank order.

    ``notice``: the day the summaries are issued (the standstill starts the next day);
    ``scorer_names``: usernames and display names to keep out of the text;
    ``moderation_reasons``: {(bid_id, criterion): the chair's reason for the bidder} (the chair's
    internal notes never come here). ``illustrative``: what is
    illustrative, for the notice every summary of an example round carries.
    """
    hide = anonymiser(scorer_names)
    notes = moderation_reasons or {}
    start, end = standstill(notice)
    out = []
    for lot, group in result.table.groupby("lot", sort=False):
        ranked = int(group["rank"].notna().sum())
        first = group[group["rank"] == 1]
        winner = _assess(result, first["bid_id"].iloc[0], notes, hide) if len(first) else None
        for row in group.itertuples():
            bid = _assess(result, row.bid_id, notes, hide)
            out.append(AssessmentSummary(
                result.rules.title, str(lot), bid, winner,
                winner is not None and winner.bid_id == bid.bid_id,
                _outcome(bid, winner, str(row.reasons), ranked) if winner is not None or bid.status == "failed"
                else "No bid in this lot was ranked; the lot will be re-advertised under the published rules.",
                notice, start, end, result.rules.weights["price"], illustrative))
    return out


def round_summaries(store, actor, round_id: int, *, shortfall=None) -> list[AssessmentSummary]:
    """Every bid's issued assessment summary of a locked round in ``store`` (commissioner), with the
    notice date they were issued with; scorers' names removed. Refused before they are issued."""
    inputs = store.summary_inputs(actor, round_id, shortfall=shortfall)
    if inputs.notice is None:
        raise StoreError("the assessment summaries have not been issued yet: issue them with their notice date first")
    example = is_illustrative_round(store.round_info(round_id)["name"])
    return build_summaries(inputs.result, notice=inputs.notice, scorer_names=inputs.scorer_names,
                           moderation_reasons=inputs.moderation_reasons,
                           illustrative=EXAMPLE_ROUND_NOTE if example else None)


def own_summary(store, provider, key: int, *, shortfall=None) -> AssessmentSummary:
    """A support organisation's own bid's issued assessment summary (the store checks it is theirs)."""
    inputs = store.own_summary_inputs(provider, key, shortfall=shortfall)
    summaries = build_summaries(inputs.result, notice=inputs.notice, scorer_names=inputs.scorer_names,
                                moderation_reasons=inputs.moderation_reasons)
    return next(s for s in summaries if s.bid.bid_id == inputs.bid_id)
