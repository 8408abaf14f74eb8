"""The evaluation report of a bidding round as a PDF, from the scoring engine's result.

Sections: results per lot, the rules as applied, panel and conflicts, every bid's scores per
criterion, moderation decisions, price scores, failed and flagged bids, rank sensitivity, a
sign-off block, and an annex of the scorers' rationale (every scorer's score and comment per
criterion, the moderated score and the chair's note), so that each score can be explained from
the record. Scorers appear as "Scorer A", "Scorer B", ... unless the commissioner chooses
names; their identifiers are replaced in comments and notes too. The report contains bid data and
is marked as not for publication.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
from typing import BinaryIO

import pandas as pd
from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, PageBreak, Spacer, TableStyle

from commissioning.procurement.rules import Rules
from commissioning.procurement.scoring import ScoringResult
from commissioning.procurement.sensitivity import rank_sensitivity
from commissioning.publish.pdf.priorities import PRICE_METHODS, SECTION_WORDS
from commissioning.publish.pdf.style import (
    RAG_FILL,
    RULE,
    ZEBRA,
    Progress,
    bullets,
    contents,
    data_table,
    deliver,
    esc,
    fmt,
    heading,
    illustrative_mark,
    keep,
    para,
    render,
    step,
    today_text,
)

DEFAULT_AUTHOR = "Victim services commissioning"
MARKING = "OFFICIAL-SENSITIVE: contains bid data, not for publication"


def pseudonyms(scorers) -> dict[str, str]:
    """``{scorer: "Scorer A", ...}`` in sorted order of the scorer identifiers (AA, AB... after Z)."""
    letters = string.ascii_uppercase
    out = {}
    for i, scorer in enumerate(sorted(set(map(str, scorers)))):
        tag = letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]
        out[scorer] = f"Scorer {tag}"
    return out


def _replace_names(text: str, names: dict[str, str]) -> str:
    for scorer in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(scorer)}(?![\w-])", names[scorer], text, flags=re.IGNORECASE)
    return text


def build_evaluation_pdf(rules: Rules, result: ScoringResult, out: str | os.PathLike | BinaryIO | None = None, *,
                         moderation: pd.DataFrame | None = None, panel: pd.DataFrame | None = None,
                         conflicts: pd.DataFrame | None = None, round_name: str | None = None,
                         lots: list[str] | None = None, names: bool = False, illustrative: str | None = None,
                         n_draws: int = 5_000, progress: Progress | None = None, author: str = DEFAULT_AUTHOR,
                         date: dt.date | None = None) -> bytes:
    """Build the evaluation report PDF; return its bytes and write them to ``out`` if given.

    ``rules``: the rules the bids were scored under; ``result``: :func:`commissioning.procurement.scoring.score_bids`
    output under those rules (a ValueError if title, version, weights or criteria differ).
    ``moderation``: the chair's decisions (bid_id, criterion, score, note) for their notes.
    ``panel``: optional members (``scorer`` and optionally ``name``, ``role``); default: every
    scorer in the scores. ``conflicts``: the declarations (``scorer``, ``organisation``,
    ``note``); an empty frame states that none were declared, None that none were supplied. ``lots``: restrict to these lots (default all). ``names``: show scorer names (the
    panel's ``name`` column, else identifiers) instead of pseudonyms. ``illustrative``: a note
    shown as the illustrative-data mark when the bids are examples. ``n_draws``: weight draws for
    the rank sensitivity.
    """
    applied = result.rules
    if (rules.title, rules.version, rules.weights, rules.criteria) != (applied.title, applied.version,
                                                                       applied.weights, applied.criteria):
        raise ValueError("the result was scored under other rules than those given")
    table = result.table
    lots = list(dict.fromkeys(table["lot"])) if lots is None else list(lots)
    table = table.loc[table["lot"].isin(lots)]
    scores = result.scores.loc[result.scores["bid_id"].isin(table["bid_id"])]
    members = _panel(scores, panel)
    if names:
        shown = {s: (str(n) if n else s) for s, n in zip(members["scorer"], members["name"])}
    else:
        shown = pseudonyms(members["scorer"])
    members["shown"] = members["scorer"].map(shown)
    day = date or dt.date.today()
    title = f"{rules.title}: evaluation report" + (f", {round_name}" if round_name else "")

    step(progress, 0.0, "writing results")
    story = [Spacer(1, 60), para(esc(rules.title), "title"),
             para("Evaluation report" + (f": {esc(round_name)}" if round_name else ""), "subtitle"),
             para(f"<b>Lots</b> {esc(', '.join(lots))} &nbsp;&nbsp; <b>Date</b> {today_text(day)} &nbsp;&nbsp; "
                  f"<b>Rules version</b> {rules.version} ({esc(rules.source)})"), Spacer(1, 12),
             para(f"<b>{MARKING}.</b>", "mark"), Spacer(1, 8)]
    story += illustrative_mark([illustrative] if illustrative else [])
    story += [para("Scorers are shown " + ("by name." if names else "under pseudonyms (Scorer A, B, ...); the "
                                                                     "commissioner holds the key.")),
              PageBreak(), heading("Contents"), contents(), PageBreak()]
    story += _results(table, lots)
    story += _rules_applied(rules)
    story += _panel_section(members, conflicts, shown, table)
    step(progress, 0.3, "writing scores")
    story += _scores(result, table, lots, members)
    story += _moderation(result, table, moderation, shown)
    story += _prices(rules, table, lots)
    story += _failed_flagged(table, shown)
    step(progress, 0.6, "computing rank sensitivity")
    story += _sensitivity(result, table, n_draws)
    story += _sign_off()
    step(progress, 0.7, "writing the scorers' rationale")
    story += _rationale(result, table, lots, members, moderation)

    step(progress, 0.8, "laying out pages")
    pdf = render(story, title=title, author=author, subject="Bid evaluation: scores, moderation, price, ranks",
                 header=f"{rules.title}: evaluation report — {MARKING}", footer=MARKING,
                 keywords=["evaluation", "bids", "scoring"])
    step(progress, 1.0, "done")
    return deliver(pdf, out)


def _panel(scores: pd.DataFrame, panel: pd.DataFrame | None) -> pd.DataFrame:
    counted = scores.groupby("scorer").size()
    if panel is None:
        frame = pd.DataFrame({"scorer": sorted(counted.index), "name": "", "role": "panel"})
    else:
        frame = panel.copy()
        frame["scorer"] = frame["scorer"].astype(str)
        for column, default in (("name", ""), ("role", "panel")):
            frame[column] = frame[column].fillna(default).astype(str) if column in frame else default
        missing = sorted(set(counted.index) - set(frame["scorer"]))
        if missing:
            frame = pd.concat([frame, pd.DataFrame({"scorer": missing, "name": "", "role": "panel"})])
    frame["scores"] = frame["scorer"].map(counted).fillna(0).astype(int)
    return frame.sort_values("scorer").reset_index(drop=True)


def _status_word(status: str) -> str:
    return {"ranked": "Ranked", "flagged": "Ranked, flagged", "failed": "Failed"}.get(status, status)


def _results(table: pd.DataFrame, lots: list[str]) -> list:
    story = [heading("Results"),
             para("Total = quality + social value + price points, out of 100. Bids rank within their lot by total "
                  "(ties: quality, then social value, then the earlier submission). Failed bids are not ranked.")]
    for lot in lots:
        rows = [["Rank", "Bid", "Organisation", "Quality", "Social value", "Price", "Total", "Status"]]
        fills = []
        for r, b in enumerate(table.loc[table["lot"] == lot].itertuples(), start=1):
            rows.append(["–" if pd.isna(b.rank) else str(int(b.rank)), esc(b.bid_id), esc(b.organisation),
                         fmt(b.quality, 2), fmt(b.social_value, 2), fmt(b.price, 2), fmt(b.total, 2),
                         _status_word(b.status)])
            fills.append((7, r, RAG_FILL["green" if b.status == "ranked" else
                                         "amber" if b.status == "flagged" else "red"]))
        story += [keep(heading(f"Lot: {lot}", 2),
                       data_table(rows, [0.07, 0.09, 0.3, 0.09, 0.1, 0.09, 0.09, 0.17], align_right=range(3, 7),
                                  fills=fills))]
    return story + [PageBreak()]


def _rules_applied(rules) -> list:
    w = rules.weights
    rows = [["ID", "Criterion", "Part", "Weight in part", "Points of 100", "Minimum"]]
    for c in rules.criteria:
        points = w[c.section] * c.weight / 100
        rows.append([esc(c.id), esc(c.title), SECTION_WORDS.get(c.section, c.section), f"{c.weight:g}%",
                     fmt(points, 1), "–" if c.min_score is None else f"{c.min_score:g}"])
    rows.append(["", "Price", "Price", "–", fmt(w.get("price", 0), 1), "–"])
    consensus = {"median": "median of the panel's scores", "mean": "mean of the panel's scores"}.get(
        rules.consensus, rules.consensus)
    return [heading("Rules as applied"),
            para(f"Rules: {esc(rules.title)}, version {rules.version} ({esc(rules.source)}). Weights: "
                 + ", ".join(f"{SECTION_WORDS.get(k, k).lower()} {v:g}%" for k, v in w.items()) + "."),
            data_table(rows, [0.07, 0.45, 0.13, 0.12, 0.12, 0.11], align_right=[3, 4]),
            Spacer(1, 6),
            *bullets([
                f"Scale {rules.scale.min}–{rules.scale.max}: " + "; ".join(f"{k} {esc(v)}" for k, v in
                                                                         rules.scale.descriptors.items()) + ".",
                "Pass/fail gates: " + ("; ".join(esc(g.title) for g in rules.gates) if rules.gates else "none") + ".",
                "Price: " + esc(PRICE_METHODS.get(rules.price_method, rules.price_method)),
                f"Abnormally low: a price under {rules.abnormally_low:.0%} of the lot's median price is flagged for "
                "clarification, not excluded.",
                f"Moderation: the chair's agreed score where recorded, otherwise the {consensus}; a spread of "
                f"{rules.spread_flag:g} points or more without a chair's decision flags the bid.",
            ] + ([esc("Minimum scores: " + rules.min_score_policy)] if rules.min_score_policy else [])),
            PageBreak()]


def _panel_section(members: pd.DataFrame, conflicts: pd.DataFrame | None, shown: dict, table: pd.DataFrame) -> list:
    rows = [["Member", "Role", "Scores recorded"]]
    for m in members.itertuples():
        rows.append([esc(m.shown), esc(m.role), str(m.scores)])
    story = [heading("Panel and conflicts of interest"),
             data_table(rows, [0.4, 0.35, 0.25], align_right=[2]), Spacer(1, 6)]
    if conflicts is None:
        story.append(para("<b>Conflict declarations were not supplied to this report</b>: attach the round's "
                          "register of declarations before sign-off."))
    elif conflicts.empty:
        story.append(para("No conflict of interest was declared by any panel member for this round."))
    else:
        crow = [["Member", "Organisation", "Declaration"]]
        for c in conflicts.itertuples():
            crow.append([esc(shown.get(str(c.scorer), "Scorer (not on the panel)")), esc(c.organisation),
                         esc(_replace_names(str(getattr(c, "note", "")), shown))])
        story += [para("Conflicts declared before scoring; a conflicted member did not score that organisation's "
                       "bids."),
                  data_table(crow, [0.2, 0.35, 0.45])]
    return story + [PageBreak()]


def _scores(result: ScoringResult, table: pd.DataFrame, lots: list[str], members: pd.DataFrame) -> list:
    rules = result.rules
    order = list(members["scorer"])
    tags = [members.set_index("scorer").loc[s, "shown"] for s in order]
    story = [heading("Scores by bid"),
             para("Each member's score per criterion, the moderated score and how it was reached (median, mean or "
                  "the chair's moderation), and the points it earns. A dash means no score was recorded.")]
    width_members = min(0.36, 0.09 * len(order))
    for lot in lots:
        for b in table.loc[table["lot"] == lot].itertuples():
            mine = result.scores.loc[result.scores["bid_id"] == b.bid_id]
            marks = mine.pivot_table(index="criterion", columns="scorer", values="score", aggfunc="first")
            rows = [["Criterion"] + [esc(t) for t in tags] + ["Moderated", "Basis", "Points"]]
            for c in rules.criteria:
                line = [f"{esc(c.id)} {esc(c.title)}"]
                for s in order:
                    value = marks.at[c.id, s] if c.id in marks.index and s in marks.columns else float("nan")
                    line.append(_score_text(value))
                moderated = result.moderated.at[b.bid_id, c.id]
                points = result.points.at[b.bid_id, c.id]
                max_points = rules.weights[c.section] * c.weight / 100
                line += [fmt(moderated, 1), esc(result.basis.at[b.bid_id, c.id]),
                         f"{fmt(points, 2)} / {fmt(max_points, 1)}"]
                rows.append(line)
            each = width_members / max(len(order), 1)
            head = (f"{b.bid_id} — {b.organisation} ({lot}): "
                    + (f"rank {int(b.rank)}, total {b.total:.2f}" if not pd.isna(b.rank) else "failed"))
            story.append(keep(heading(head, 2),
                              data_table(rows, [1 - width_members - 0.37] + [each] * len(order) + [0.12, 0.1, 0.15],
                                         align_right=list(range(1, len(order) + 2)) + [len(order) + 3])))
    return story + [PageBreak()]


def _score_text(value: float) -> str:
    return fmt(value, 0) if value == value and float(value).is_integer() else fmt(value, 1)


def _moderation(result: ScoringResult, table: pd.DataFrame, moderation: pd.DataFrame | None, shown: dict) -> list:
    story = [heading("Moderation decisions")]
    chair = result.basis.loc[result.basis.index.isin(table["bid_id"])]
    decisions = [(bid, c) for bid in chair.index for c in chair.columns if chair.at[bid, c] == "chair"]
    if not decisions:
        return story + [para("The chair recorded no moderated score: every moderated score is the rules' consensus "
                             "of the panel's scores."), CondPageBreak(200)]
    notes = _notes(moderation)
    rows = [["Bid", "Criterion", "Panel scores", "Moderated", "Note"]]
    for bid, c in decisions:
        panel = result.scores.loc[(result.scores["bid_id"] == bid) & (result.scores["criterion"] == c), "score"]
        rows.append([esc(bid), esc(c), ", ".join(f"{v:g}" for v in sorted(panel)),
                     fmt(result.moderated.at[bid, c], 1), esc(_replace_names(notes.get((bid, c), "(no note)"), shown))])
    return story + [data_table(rows, [0.1, 0.1, 0.15, 0.12, 0.53]), CondPageBreak(200)]


def _notes(moderation: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """The chair's notes as ``{(bid_id, criterion): note}`` (keys stripped, as the engine reads them)."""
    if moderation is None or moderation.empty:
        return {}
    return {(str(r.bid_id).strip(), str(r.criterion).strip()): str(r.note) for r in moderation.itertuples()}


def _prices(rules, table: pd.DataFrame, lots: list[str]) -> list:
    story = [heading("Price scores"),
             para(esc(PRICE_METHODS.get(rules.price_method, rules.price_method)) +
                  f" Price weight: {rules.weights.get('price', 0):g} points.")]
    rows = [["Lot", "Bid", "Price", "Lowest in lot", "Median in lot", "Price points", "Note"]]
    for lot in lots:
        for b in table.loc[table["lot"] == lot].itertuples():
            note = ("not scored (failed)" if b.status == "failed" else
                    "abnormally low: clarification asked" if "abnormally low" in str(b.reasons) else "")
            rows.append([esc(lot), esc(b.bid_id), _money(b.price_amount), _money(b.lot_lowest),
                         _money(b.lot_median), fmt(b.price, 2), note])
    return story + [data_table(rows, [0.13, 0.09, 0.13, 0.14, 0.14, 0.12, 0.25], align_right=[2, 3, 4, 5]),
                    CondPageBreak(200)]


def _money(value) -> str:
    return "–" if value is None or value != value else f"£{value:,.0f}"


def _failed_flagged(table: pd.DataFrame, shown: dict) -> list:
    story = [heading("Failed and flagged bids")]
    rows = [["Bid", "Lot", "Status", "Reasons"]]
    for b in table.loc[table["status"] != "ranked"].itertuples():
        rows.append([esc(b.bid_id), esc(b.lot), _status_word(b.status), esc(_replace_names(str(b.reasons), shown))])
    if len(rows) == 1:
        return story + [para("Every bid passed its gates and minimum scores, and none was flagged."),
                        CondPageBreak(200)]
    return story + [para("A failed bid is not ranked and does not set the lowest price. A flagged bid is ranked but "
                         "needs a decision before award (an explanation of a low price, or moderation of a wide "
                         "spread of scores)."),
                    data_table(rows, [0.1, 0.14, 0.16, 0.6]), CondPageBreak(200)]


def _sensitivity(result: ScoringResult, table: pd.DataFrame, n_draws: int) -> list:
    if not table["rank"].notna().any():
        return [heading("Rank sensitivity"), para("No bid was ranked."), PageBreak()]
    sens = rank_sensitivity(result, n_draws=n_draws)
    sens = sens.loc[sens["bid_id"].isin(table["bid_id"])]
    rows = [["Lot", "Bid", "Rank", "Keeps its rank", "Ranked first"]]
    for s in sens.itertuples():
        rows.append([esc(s.lot), esc(s.bid_id), str(int(s.rank)), f"{s.keep_share:.0%}", f"{s.first_share:.0%}"])
    return [heading("Rank sensitivity"),
            para(f"How robust the ranks are to the weights: {n_draws:,} random sets of weights were drawn around the "
                 "published ones (Dirichlet, concentration 100: a criterion worth 12 points varies by about ±3), "
                 "every total recomputed and the bids re-ranked within their lot. A rank kept in nearly every draw "
                 "does not hinge on the exact weights."),
            data_table(rows, [0.25, 0.15, 0.12, 0.24, 0.24], align_right=[2, 3, 4]), PageBreak()]


def _sign_off() -> list:
    rows = [["Role", "Name", "Signature", "Date"]]
    for role in ("Panel chair", "Commissioner", "Finance / procurement"):
        rows.append([role, "", "", ""])
    table = data_table(rows, [0.25, 0.3, 0.3, 0.15], row_heights=[None] + [34] * 3)  # room to sign by hand
    return [heading("Sign-off"),
            para("We confirm that the bids were evaluated under the published rules above, that conflicts of interest "
                 "were declared before scoring, that every score has a recorded reason, and that the results above "
                 "are those the rules give."),
            Spacer(1, 6), table]


_BASIS_WORDS = {"median": "panel median", "mean": "panel mean", "chair": "chair's moderation",
                "need alignment": "from the needs assessment", "none": "no score"}


def _rationale(result: ScoringResult, table: pd.DataFrame, lots: list[str], members: pd.DataFrame,
               moderation: pd.DataFrame | None) -> list:
    """Annex: per bid (by lot, in rank order, failed bids last) and criterion, each scorer's score
    and comment, the moderated score and, where the chair moderated it, the chair's note."""
    scores = result.scores
    comments = (scores["comment"].fillna("").astype(str).str.strip() if "comment" in scores.columns
                else pd.Series("", index=scores.index))
    marks: dict[tuple[str, str], list[tuple[str, float, str]]] = {}
    for bid, scorer, criterion, value, comment in zip(scores["bid_id"].astype(str), scores["scorer"].astype(str),
                                                      scores["criterion"].astype(str), scores["score"], comments):
        marks.setdefault((bid, criterion), []).append((scorer, value, comment))
    shown = dict(zip(members["scorer"], members["shown"]))
    notes = _notes(moderation)
    story = [PageBreak(), heading("Annex: scorers' rationale"),
             para("Every panel member's score and the reason they gave for it, criterion by criterion, with the "
                  "moderated score, how it was reached and, where the chair moderated it, the chair's note. "
                  "Scorer identifiers inside the comments are shown as in the rest of the report."
                  + ("" if "comment" in scores.columns else " <b>The scores were supplied without comments.</b>"))]
    for lot in lots:
        for b in table.loc[table["lot"] == lot].itertuples():
            head = (f"{b.bid_id} — {b.organisation} ({lot}): "
                    + (f"rank {int(b.rank)}" if not pd.isna(b.rank) else "failed"))
            story.append(keep(heading(head, 2), _rationale_table(result, b.bid_id, marks, shown, notes)))
    return story


def _rationale_table(result: ScoringResult, bid: str, marks: dict, shown: dict, notes: dict):
    """One bid's rationale: a group of rows per criterion (one per scorer, in panel order, plus the
    chair's note), the criterion and its moderated score spanning the group."""
    rules = result.rules
    order = {s: i for i, s in enumerate(shown)}
    rows = [["Criterion", "Scorer", "Score", "Rationale"]]
    spans, groups = [], []
    for c in rules.criteria:
        first = len(rows)
        basis, moderated = result.basis.at[bid, c.id], result.moderated.at[bid, c.id]
        label = (f"<b>{esc(c.id)}</b> {esc(c.title)}<br/>Moderated: <b>{_score_text(moderated)}</b> "
                 f"({esc(_BASIS_WORDS.get(basis, basis))})")
        panel = sorted(marks.get((bid, c.id), []), key=lambda m: order.get(m[0], len(order)))
        for scorer, value, comment in panel:
            text = esc(_replace_names(comment, shown)) if comment else "<i>(no comment recorded)</i>"
            rows.append([label if len(rows) == first else "", esc(shown.get(scorer, scorer)), _score_text(value),
                         text])
        if not panel:
            rows.append([label, "–", "–", "Scored from the needs assessment, not by the panel."
                         if c.type == "need_alignment" else "<i>(no panel score recorded)</i>"])
        if basis == "chair":
            values = pd.Series([m[1] for m in panel], dtype=float)
            consensus = values.median() if rules.consensus == "median" else values.mean()
            rows.append(["", f"<b>Chair's moderated score: {_score_text(moderated)}</b> (panel {rules.consensus} "
                             f"{_score_text(consensus)}). Chair's note: "
                             + esc(_replace_names(notes.get((bid, c.id), "(no note)"), shown)), "", ""])
            spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
        spans.append(("SPAN", (0, first), (0, len(rows) - 1)))
        groups.append((first, len(rows) - 1))
    # a comment longer than a page continues on the next one (split_in_row) rather than failing the layout
    grid = data_table(rows, [0.27, 0.1, 0.07, 0.56], align_right=[2], split_in_row=True)
    grid.setStyle(TableStyle(spans + [("VALIGN", (0, 1), (-1, -1), "TOP")]
                             + [("BACKGROUND", (0, r0), (-1, r1), ZEBRA if i % 2 else colors.white)
                                for i, (r0, r1) in enumerate(groups)]
                             + [("LINEBELOW", (0, r1), (-1, r1), 0.3, RULE) for _, r1 in groups]))
    return grid
