"""The bid-scoring rules engine: moderation, gates, thresholds, price, totals, ranks, explanations.

Formulas (weights in percent, from :class:`~commissioning.procurement.rules.Rules`):

- moderated score of a bid on a criterion: the chair's moderated value where one is recorded,
  else the rules' consensus (median or mean) of the panel's scores; for a ``need_alignment``
  criterion, ``scale.min + share × (max_score − scale.min)`` where ``share`` is the fraction of the
  bid's proposed capacity placed in boroughs with a positive shortfall;
- section score = section weight × Σ_criteria (criterion weight / 100) × (moderated / max_score);
- price score, within a lot over the bids still in the running:
  ``lowest_relative`` = price weight × lowest / price,
  ``proportional_deviation`` = price weight × max(0, 1 − (price − lowest) / lowest);
- a bid that fails a gate or scores below a criterion's ``min_score`` is out: no rank, it does not
  set the lowest price, and its reasons are listed;
- a price under ``abnormally_low`` × the lot's median price (bids in the running) is flagged for
  clarification but stays in the running, is ranked and can set the lowest price;
- total = quality + social value + price; rank within each lot by total, then quality, then social
  value, then earlier ``submitted_at`` (then ``bid_id``, so the order is always defined).

Flags (bids in the running only): an abnormally low price (key ``price``) and a criterion whose
panel spread reached ``spread_flag`` without a chair's moderation (key ``spread:<criterion>``).
The chair's recorded decisions (``decisions``) are the one source of "cleared": a decided flag is
quoted with its decision in ``reasons``.

Status: ``ranked`` (every flag, if any, decided); ``flagged`` (ranked, but a flag has no decision
yet); ``failed``.

Input frames may come straight from :func:`read_bids` / :func:`read_scores` /
:func:`read_moderation` (strings, with the editor line of each row in ``_line``) or from the store;
:func:`score_bids` validates them up front and every problem is an
:class:`~commissioning.errors.InputError` naming file, line and column.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commissioning.errors import InputError
from commissioning.procurement.bid_files import (
    BID_COLUMNS,
    DECISION_COLUMNS,
    LINE,
    _coded,
    _number,
    _raise_first,
    _require_columns,
    _source,
    _text,
    submitted_times,
)
from commissioning.procurement.need_alignment import (
    need_alignment_scores,
    parse_areas,
    shortfall_map,
)
from commissioning.procurement.rules import Rules

OUTPUT_COLUMNS = ["bid_id", "lot", "quality", "social_value", "price", "total", "rank", "status", "reasons"]
# Totals are sums of floats: compare them at this resolution so equal scores reached through
# different arithmetic still count as a tie and go to the tie-breaks.
_TIE_DECIMALS = 9


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    """One matter needing a recorded decision. ``key`` identifies it within its bid (``price`` or
    ``spread:<criterion>``); ``text`` is what a person reads; ``decision`` is the chair's recorded
    note (``None``: not decided yet)."""

    bid_id: str
    kind: str
    key: str
    text: str
    decision: str | None = None

    @property
    def reason(self) -> str:
        """The flag as a ranking reason: the decision quoted, or what is still to be done."""
        if self.decision is not None:
            return f"{self.text}; decided: {self.decision}"
        if self.kind == "price":
            return f"{self.text}; ask the bidder to explain before any decision"
        return f"{self.text}; moderate or record a decision"


@dataclass
class Explanation:
    """Why a bid scored and ranked as it did.

    ``criteria``: one row per criterion with panel_scores (tuple), moderated, basis
    (chair / median / mean / need alignment), points and max_points.
    ``to_overtake``: total points needed to pass the bid ranked just above (0 when level on total
    and behind on a tie-break); ``margin_below``: lead over the bid ranked just below.
    """

    bid_id: str
    lot: str
    status: str
    rank: int | None
    total: float
    reasons: str
    criteria: pd.DataFrame
    above: str | None
    to_overtake: float | None
    below: str | None
    margin_below: float | None

    def text(self) -> str:
        lines = [f"Bid {self.bid_id} (lot {self.lot}): {self.status}"
                 + (f", rank {self.rank}, total {self.total:.2f}" if self.rank else "")]
        for row in self.criteria.itertuples():
            panel = ", ".join(f"{s:g}" for s in row.panel_scores) or "-"
            moderated = "-" if np.isnan(row.moderated) else f"{row.moderated:g}"
            lines.append(f"  {row.criterion} {row.title}: panel [{panel}] -> {moderated} ({row.basis}), "
                         f"{row.points:.2f} of {row.max_points:.2f} points")
        if self.above is not None:
            lines.append(f"  needs {self.to_overtake:.2f} more points to overtake {self.above}")
        if self.below is not None:
            lines.append(f"  leads {self.below} by {self.margin_below:.2f} points")
        if self.reasons:
            lines.append(f"  reasons: {self.reasons}")
        return "\n".join(lines)


@dataclass
class ScoringResult:
    """Output of :func:`score_bids`.

    ``table``: one row per bid, the output columns plus organisation, price_amount (money),
    submitted_at, areas ({code: capacity}), price_factor (price score / price weight),
    lot_lowest, lot_median, above,
    to_overtake, below, margin_below, flags (tuple of :class:`Flag`); rows ordered by lot, then rank, failed bids last.
    ``moderated``: (bids × criteria) moderated scores (NaN where none); ``basis``: same shape,
    how each was reached; ``points``: same shape, points earned; ``scores``: the validated panel
    scores; ``consensus``: same shape, the panel's consensus under the rules (before any chair's
    moderation); ``wide_spread``: same shape, True where a bid in the running has a panel spread
    (max − min) reaching the rules' ``spread_flag`` (flagged unless the chair moderates it).
    """

    rules: Rules
    table: pd.DataFrame
    moderated: pd.DataFrame
    basis: pd.DataFrame
    points: pd.DataFrame
    scores: pd.DataFrame
    consensus: pd.DataFrame
    wide_spread: pd.DataFrame

    @property
    def flags(self) -> list[Flag]:
        """Every flag of the bids in the running, decided or not, in ranking order."""
        return [f for flags in self.table["flags"] for f in flags]

    @property
    def ranking(self) -> pd.DataFrame:
        """The published ranking: ``OUTPUT_COLUMNS`` in order."""
        return self.table[OUTPUT_COLUMNS].reset_index(drop=True)

    def explain(self, bid_id: str) -> Explanation:
        row = self.table.loc[self.table["bid_id"] == bid_id]
        if row.empty:
            raise KeyError(bid_id)
        row = row.iloc[0]
        mine = self.scores[self.scores["bid_id"] == bid_id]
        panel = mine.groupby("criterion", observed=True)["score"].apply(tuple)
        criteria = pd.DataFrame({
            "criterion": [c.id for c in self.rules.criteria],
            "title": [c.title for c in self.rules.criteria],
            "panel_scores": [panel.get(c.id, ()) for c in self.rules.criteria],
            "moderated": self.moderated.loc[bid_id].to_numpy(),
            "basis": self.basis.loc[bid_id].to_numpy(),
            "points": self.points.loc[bid_id].to_numpy(),
            "max_points": [_effective_weight(self.rules, c) for c in self.rules.criteria],
        })
        def opt(value):
            return None if pd.isna(value) else value
        return Explanation(
            bid_id=bid_id, lot=row["lot"], status=row["status"], rank=opt(row["rank"]),
            total=row["total"], reasons=row["reasons"], criteria=criteria,
            above=opt(row["above"]), to_overtake=opt(row["to_overtake"]),
            below=opt(row["below"]), margin_below=opt(row["margin_below"]))


def _effective_weight(rules: Rules, criterion) -> float:
    """Points a criterion carries in the total: section weight × criterion weight / 100."""
    return rules.weights[criterion.section] * criterion.weight / 100.0


def prepare_bids(rules: Rules, bids: pd.DataFrame, need_areas: bool = False) -> dict:
    """Validate a bids frame (see :func:`score_bids`) and return its parsed columns as arrays."""
    source = _source(bids, "bids")
    gate_cols = [g.column for g in rules.gates]
    _require_columns(bids, BID_COLUMNS + gate_cols + (["areas"] if need_areas else []), source)
    bid_id = _text(bids, "bid_id", source)
    dup = pd.Series(bid_id).duplicated().to_numpy()
    _raise_first(bids, dup, source, "bid_id", lambda r: f"duplicate bid id {str(r['bid_id']).strip()!r}")
    _text(bids, "organisation", source)
    lot = _text(bids, "lot", source)
    price = _number(bids, "price", source, "a positive amount such as 125000")
    _raise_first(bids, price <= 0, source, "price", lambda r: f"price {r['price']} is not positive",
                 "a positive amount such as 125000")
    submitted = submitted_times(bids, source)
    gate_fail = np.zeros((len(bids), len(gate_cols)), dtype=bool)
    for j, col in enumerate(gate_cols):
        values = bids[col]
        if values.dtype == bool:
            gate_fail[:, j] = ~values.to_numpy()
            continue
        values = values.astype("string").fillna("").str.strip().str.lower().to_numpy(dtype=object)
        _raise_first(bids, ~np.isin(values, ["pass", "fail"]), source, col,
                     lambda r: f"{r[col]!r} is not pass or fail", "pass or fail")
        gate_fail[:, j] = values == "fail"
    areas = None
    if "areas" in bids.columns:
        lines = bids[LINE].to_numpy() if LINE in bids.columns else [None] * len(bids)
        areas = [parse_areas(a if isinstance(a, str) else "", file=source, line=ln)
                 for a, ln in zip(bids["areas"].fillna(""), lines)]
    return {"source": source, "bid_id": bid_id, "lot": lot, "price": price,
            "organisation": bids["organisation"].astype(str).str.strip().to_numpy(dtype=object),
            "submitted": submitted, "gate_fail": gate_fail, "areas": areas,
            "lines": bids[LINE].to_numpy() if LINE in bids.columns else None}


def prepare_marks(rules: Rules, frame: pd.DataFrame, bid_index: pd.Index, *, kind: str) -> dict:
    """Validate panel scores (``kind="scores"``) or the chair's moderation (``kind="moderation"``)
    against the rules and the known ``bid_index``; return parsed columns and row/column codes."""
    source = _source(frame, kind)
    key = ["bid_id", "scorer", "criterion"] if kind == "scores" else ["bid_id", "criterion"]
    _require_columns(frame, key + ["score"] + (["note"] if kind == "moderation" else []), source)
    bid_codes, bid_labels = _coded(frame, "bid_id", source)
    bi = bid_index.get_indexer(bid_labels)[bid_codes]
    _raise_first(frame, bi < 0, source, "bid_id", lambda r: f"unknown bid id {str(r['bid_id']).strip()!r}",
                 "a bid_id from the bids file")
    crit_codes, crit_labels = _coded(frame, "criterion", source)
    crit_index = pd.Index(rules.criterion_ids)
    ci = crit_index.get_indexer(crit_labels)[crit_codes]
    _raise_first(frame, ci < 0, source, "criterion",
                 lambda r: f"unknown criterion {str(r['criterion']).strip()!r}",
                 f"one of {', '.join(rules.criterion_ids)} ({rules.source})")
    need = np.array([c.type == "need_alignment" for c in rules.criteria])
    _raise_first(frame, need[ci], source, "criterion",
                 lambda r: f"criterion {str(r['criterion']).strip()} is scored from the needs assessment, "
                           "not by the panel")
    score = _number(frame, "score", source, "a number on the scale")
    max_score = np.array([c.max_score for c in rules.criteria], dtype=float)[ci]
    _raise_first(frame, (score < rules.scale.min) | (score > max_score), source, "score",
                 lambda r: f"score {r['score']} is outside the scale "
                           f"({rules.scale.min}..{rules.criterion(str(r['criterion']).strip()).max_score})")
    if kind == "scores":
        scorer_codes, scorer_labels = _coded(frame, "scorer", source)
        distinct = pd.factorize(scorer_labels)[0]  # " s1" and "s1" are one scorer
        scorer = scorer_labels[scorer_codes]
        group = (distinct[scorer_codes].astype(np.int64) * len(bid_index) + bi) * len(crit_index) + ci
    else:
        scorer = None
        _text(frame, "note", source)
        group = bi.astype(np.int64) * len(crit_index) + ci
    dup = pd.Series(group).duplicated().to_numpy()
    what = "(bid, scorer, criterion)" if kind == "scores" else "(bid, criterion)"
    _raise_first(frame, dup, source, None, f"duplicate {what}: this combination appears twice")
    return {"source": source, "scorer": scorer, "bi": bi, "ci": ci, "score": score}


def prepare_decisions(decisions, bid_index: pd.Index) -> dict[str, dict[str, str]]:
    """``{bid_id: {flag key: note}}`` from a mapping (the store's) or a decisions frame (bid_id,
    flag, note: :func:`read_decisions`), checked: known bids, a flag key of the right form, a note,
    one decision per flag."""
    if decisions is None:
        return {}
    if not isinstance(decisions, pd.DataFrame):
        return {str(b): {str(k): str(v) for k, v in keys.items()} for b, keys in decisions.items()}
    source = _source(decisions, "decisions")
    _require_columns(decisions, DECISION_COLUMNS, source)
    bid_id = _text(decisions, "bid_id", source)
    _raise_first(decisions, bid_index.get_indexer(bid_id) < 0, source, "bid_id",
                 lambda r: f"unknown bid id {str(r['bid_id']).strip()!r}", "a bid_id from the bids file")
    key = _text(decisions, "flag", source)
    _raise_first(decisions, ~pd.Series(key).str.fullmatch(r"price|spread:\S+").to_numpy(), source, "flag",
                 lambda r: f"{str(r['flag']).strip()!r} is not a flag", "price or spread:<criterion id>")
    note = _text(decisions, "note", source)
    dup = pd.Series(list(zip(bid_id, key))).duplicated().to_numpy()
    _raise_first(decisions, dup, source, None, "duplicate (bid, flag): this flag is decided twice")
    out: dict[str, dict[str, str]] = {}
    for b, k, v in zip(bid_id, key, note):
        out.setdefault(b, {})[k] = v
    return out


def score_bids(rules: Rules, bids: pd.DataFrame, scores: pd.DataFrame,
               moderation: pd.DataFrame | None = None, *, shortfall=None,
               decisions=None) -> ScoringResult:
    """Score and rank bids under ``rules``.

    Parameters
    ----------
    rules : validated rules (:func:`commissioning.procurement.rules.load_rules`).
    bids : (n_bids rows) bid_id, organisation, lot, price (money, > 0), submitted_at (ISO 8601),
        one ``gate_<id>`` column per gate (pass/fail), and ``areas`` ("code:capacity;...") when
        the rules have a need_alignment criterion.
    scores : (one row per bid × scorer × panel criterion) bid_id, scorer, criterion, score.
    moderation : optional (one row per bid × criterion) bid_id, criterion, score, note.
    shortfall : ``{ONS code: shortfall}`` or a gap-table DataFrame (code, shortfall[, service]);
        required when the rules have a need_alignment criterion.
    decisions : the chair's recorded decisions on flags, ``{bid_id: {flag key: note}}`` or a frame
        (bid_id, flag, note); a decision on a flag the bid does not raise is not used.

    Every bid that passes its gates needs a moderated score on every criterion.
    """
    if not isinstance(rules, Rules):
        raise TypeError("rules must be a Rules (see commissioning.procurement.rules.load_rules)")
    for name, frame in (("bids", bids), ("scores", scores)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a DataFrame")
    need_criteria = [c for c in rules.criteria if c.type == "need_alignment"]
    if need_criteria and shortfall is None:
        raise InputError(f"criterion {need_criteria[0].id} is scored from the needs assessment: "
                         "a shortfall table is needed", file=rules.source)

    b = prepare_bids(rules, bids, need_areas=bool(need_criteria))
    n, criteria = len(b["bid_id"]), rules.criteria
    k = len(criteria)
    bid_index = pd.Index(b["bid_id"])
    s = prepare_marks(rules, scores, bid_index, kind="scores")
    m = (prepare_marks(rules, moderation, bid_index, kind="moderation")
         if moderation is not None and len(moderation) else None)
    decided = prepare_decisions(decisions, bid_index)

    # Panel consensus per (bid, criterion), vectorised over one integer group key.
    group = s["bi"].astype(np.int64) * k + s["ci"]
    grouped = pd.Series(s["score"]).groupby(group)
    consensus = grouped.median() if rules.consensus == "median" else grouped.mean()
    flat = np.full(n * k, np.nan)
    low, high = flat.copy(), flat.copy()
    flat[consensus.index.to_numpy()] = consensus.to_numpy()
    low[consensus.index.to_numpy()] = grouped.min().to_numpy()
    high[consensus.index.to_numpy()] = grouped.max().to_numpy()
    moderated, low, high = flat.reshape(n, k), low.reshape(n, k), high.reshape(n, k)
    panel_consensus = moderated.copy()
    basis = np.where(np.isnan(moderated), "none", rules.consensus).astype(object)
    chair = np.zeros((n, k), dtype=bool)
    if m is not None:
        moderated[m["bi"], m["ci"]] = m["score"]
        chair[m["bi"], m["ci"]] = True
        basis[chair] = "chair"
    for criterion in need_criteria:
        j = rules.criterion_ids.index(criterion.id)
        moderated[:, j] = need_alignment_scores(
            b["areas"], shortfall_map(shortfall, criterion.service), rules.scale.min,
            criterion.max_score, source=b["source"], lines=b["lines"])
        basis[:, j] = "need alignment"

    max_score = np.array([c.max_score for c in criteria], dtype=float)
    eff = np.array([_effective_weight(rules, c) for c in criteria])
    points = moderated / max_score * eff
    in_quality = np.array([c.section == "quality" for c in criteria])
    quality = points[:, in_quality].sum(axis=1)
    social = points[:, ~in_quality].sum(axis=1) if (~in_quality).any() else np.zeros(n)

    gate_fail = b["gate_fail"]
    min_score = np.array([np.nan if c.min_score is None else c.min_score for c in criteria])
    below_min = moderated < min_score  # NaN compares false: missing scores are caught below
    out = gate_fail.any(axis=1) | below_min.any(axis=1)
    missing = np.isnan(moderated) & ~out[:, None]
    if missing.any():
        i, j = np.argwhere(missing)[0]
        raise InputError(f"bid {b['bid_id'][i]} has no score for criterion {criteria[j].id} "
                         "(every bid that passes its gates needs one)", file=s["source"])
    running = ~out

    # Price within each lot over the bids still in the running.
    lot_codes, lot_names = pd.factorize(b["lot"])
    price = b["price"]
    by_lot = pd.Series(price[running]).groupby(lot_codes[running])
    lowest = by_lot.min().reindex(range(len(lot_names))).to_numpy()[lot_codes]
    median = by_lot.median().reindex(range(len(lot_names))).to_numpy()[lot_codes]
    if rules.price_method == "lowest_relative":
        factor = lowest / price
    else:
        factor = np.maximum(0.0, 1.0 - (price - lowest) / lowest)
    factor = np.where(running, factor, np.nan)
    price_score = rules.weights["price"] * factor
    abnormal = running & (price < rules.abnormally_low * median)
    total = np.where(running, quality + social + price_score, np.nan)
    wide = running[:, None] & (high - low >= rules.spread_flag)
    spread_flag = wide & ~chair

    table = pd.DataFrame({
        "bid_id": b["bid_id"], "lot": b["lot"], "quality": quality, "social_value": social,
        "price": price_score, "total": total, "organisation": b["organisation"],
        "price_amount": price, "submitted_at": b["submitted"].to_numpy(), "price_factor": factor,
        "areas": b["areas"] if b["areas"] is not None else [{} for _ in range(n)],
        "lot_lowest": np.where(running, lowest, np.nan), "lot_median": np.where(running, median, np.nan),
        "_lot": lot_codes, "_out": out,
    })
    # Rank: sort once by lot, in/out, rounded total, quality, social value, time, id.
    table["_t"], table["_q"], table["_s"] = (np.round(v, _TIE_DECIMALS) for v in (total, quality, social))
    table = table.sort_values(["_lot", "_out", "_t", "_q", "_s", "submitted_at", "bid_id"],
                              ascending=[True, True, False, False, False, True, True], kind="stable")
    pos = table.groupby("_lot").cumcount().to_numpy() + 1
    rank = pd.array(pos, dtype="Int64")
    rank[table["_out"].to_numpy()] = pd.NA
    table["rank"] = rank
    same_lot_above = (table["_lot"].to_numpy()[1:] == table["_lot"].to_numpy()[:-1]) & ~table["_out"].to_numpy()[1:]
    ids, totals = table["bid_id"].to_numpy(dtype=object), table["total"].to_numpy()
    above = np.full(len(table), None, dtype=object)
    below = np.full(len(table), None, dtype=object)
    to_overtake, margin = np.full(len(table), np.nan), np.full(len(table), np.nan)
    above[1:][same_lot_above] = ids[:-1][same_lot_above]
    to_overtake[1:][same_lot_above] = (totals[:-1] - totals[1:])[same_lot_above]
    below[:-1][same_lot_above] = ids[1:][same_lot_above]
    margin[:-1][same_lot_above] = (totals[:-1] - totals[1:])[same_lot_above]
    table["above"], table["to_overtake"] = above, np.maximum(to_overtake, 0.0)
    table["below"], table["margin_below"] = below, np.maximum(margin, 0.0)

    order = table.index.to_numpy()
    reasons, status, flags = _reasons(rules, b, order, gate_fail, below_min, moderated, abnormal,
                                      spread_flag, low, high, median, decided)
    table["status"], table["reasons"], table["flags"] = status, reasons, flags
    table = table.drop(columns=["_lot", "_out", "_t", "_q", "_s"]).reset_index(drop=True)
    ids_index, crit_cols = pd.Index(b["bid_id"], name="bid_id"), pd.Index(rules.criterion_ids, name="criterion")
    # Categoricals: building 480,000-row string columns would cost more than the scoring itself.
    scorer_codes, scorer_names = pd.factorize(s["scorer"])
    scores_out = pd.DataFrame({
        "bid_id": pd.Categorical.from_codes(s["bi"], categories=bid_index),
        "scorer": pd.Categorical.from_codes(scorer_codes, categories=scorer_names),
        "criterion": pd.Categorical.from_codes(s["ci"], categories=pd.Index(rules.criterion_ids)),
        "score": s["score"]})
    if "comment" in scores.columns:
        scores_out["comment"] = scores["comment"].to_numpy()
    return ScoringResult(
        rules=rules, table=table,
        moderated=pd.DataFrame(moderated, index=ids_index, columns=crit_cols),
        basis=pd.DataFrame(basis, index=ids_index, columns=crit_cols),
        points=pd.DataFrame(points, index=ids_index, columns=crit_cols),
        scores=scores_out,
        consensus=pd.DataFrame(panel_consensus, index=ids_index, columns=crit_cols),
        wide_spread=pd.DataFrame(wide, index=ids_index, columns=crit_cols))


def _reasons(rules, b, order, gate_fail, below_min, moderated, abnormal, spread_flag, low, high, median,
             decided):
    """Status, reason text and flags per bid, in ``order``; loops only over the cells that have a reason."""
    n = len(order)
    failed = gate_fail.any(axis=1) | below_min.any(axis=1)
    items: dict[int, list[str]] = {}
    flags: dict[int, list[Flag]] = {}
    for i, j in np.argwhere(gate_fail):
        gate = rules.gates[j]
        items.setdefault(i, []).append(f"did not meet the pass/fail requirement {gate.id} ({gate.title})")
    for i, j in np.argwhere(below_min):
        c = rules.criteria[j]
        items.setdefault(i, []).append(f"{c.id} ({c.title}) scored {moderated[i, j]:g} after moderation, below "
                                       f"the minimum of {c.min_score:g} a bid needs to pass")
    for i in np.flatnonzero(abnormal & ~failed):
        flags.setdefault(i, []).append(Flag(
            b["bid_id"][i], "price", "price",
            f"abnormally low price: £{b['price'][i]:,.0f} is under {rules.abnormally_low:.0%} of the lot "
            f"median £{median[i]:,.0f}"))
    for i, j in np.argwhere(spread_flag & ~failed[:, None]):
        c = rules.criteria[j]
        flags.setdefault(i, []).append(Flag(
            b["bid_id"][i], "spread", f"spread:{c.id}",
            f"{c.id} panel scores range from {low[i, j]:g} to {high[i, j]:g} with no chair's moderation"))
    where = np.empty(n, dtype=np.int64)
    where[order] = np.arange(n)
    status = np.full(n, "ranked", dtype=object)
    reasons = np.full(n, "", dtype=object)
    flag_column = np.empty(n, dtype=object)
    flag_column[:] = [()] * n
    for i, found in flags.items():
        notes = decided.get(found[0].bid_id, {})
        found = [dataclasses.replace(f, decision=notes.get(f.key)) for f in found]
        flag_column[where[i]] = tuple(found)
        items.setdefault(i, []).extend(f.reason for f in found)
        if any(f.decision is None for f in found):
            status[where[i]] = "flagged"
    for i, texts in items.items():
        if failed[i]:
            status[where[i]] = "failed"
        reasons[where[i]] = "; ".join(texts)
    return reasons, status, flag_column
