"""The evaluation report of a bidding round as a PDF, from the scoring engine's result.

(About 520 lines on purpose: one document, its sections in reading order, each a short function;
split it when a section is reused elsewhere.)

Sections: a one-page decision summary (recommended bid and its value per lot, flags to resolve,
who signs), results per lot, the rules as applied, panel and conflicts, every bid's scores per
criterion, moderation decisions, price scores, failed and flagged bids, rank sensitivity, a
sign-off block (worded to match whether a register of conflict declarations was supplied), and
an annex of the scorers' rationale (every scorer's score and comment per
criterion, the moderated score and the chair's note), so that each score can be explained from
the record. Scorers appear as "Scorer A", "Scorer B", ... unless the commissioner chooses
names; their identifiers are replaced in comments and notes too. The report contains bid data and
is marked as not for publication. Built once as an outline and rendered to PDF or to accessible
HTML. Points are shown to two decimals, scores to one, money as pounds with separators.

Over 400 lines: one section function per chapter of one document, read top to bottom; split
by chapter only if another document reuses them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
from typing import BinaryIO

import pandas as pd
from reportlab.lib import colors

from commissioning.procurement.rules import Rules
from commissioning.procurement.scoring import ScoringResult
from commissioning.procurement.sensitivity import rank_sensitivity
from commissioning.publish.glossary import glossary_outline
from commissioning.publish.outline import B, Outline, to_html
from commissioning.publish.pdf.priorities import PRICE_METHODS, SECTION_WORDS
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import (
    RULE,
    ZEBRA,
    Progress,
    deliver,
    fmt,
    illustrative_words,
    render,
    step,
    today_text,
    write_html,
)
from commissioning.publish.wording import illustrative_mark

DEFAULT_AUTHOR = "Victim services commissioning"
MARKING = "OFFICIAL-SENSITIVE: contains bid data, not for publication"
NBSP = "\u00a0"   # keeps "rank 2" and "total 72.48" on one line of a wrapped heading


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


SIGNATORIES = ("Panel chair", "Commissioner", "Finance / procurement")


def evaluation_outline(rules: Rules, result: ScoringResult, *, moderation: pd.DataFrame | None = None,
                       panel: pd.DataFrame | None = None, conflicts: pd.DataFrame | None = None,
                       round_name: str | None = None, lots: list[str] | None = None, names: bool = False,
                       illustrative: str | None = None, n_draws: int = 5_000, progress: Progress | None = None,
                       date: dt.date | None = None) -> Outline:
    """The evaluation report's content (see :func:`build_evaluation_pdf` for the arguments)."""
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

    step(progress, 0.0, "writing results")
    o = Outline().para(rules.title, style="title")
    o.para("Evaluation report" + (f": {round_name}" if round_name else ""), style="subtitle")
    o.para(B("Lots "), ", ".join(lots), B("   Rules version "), f"{rules.version} ({rules.source})")
    o.para(*_dates(rules, day))
    o.notice(MARKING + ".")
    if illustrative:
        o.notice(illustrative_mark(f"{illustrative}; see the end of this page"))
    o.extend(_decision_summary(rules, table, lots, conflicts, shown))
    if illustrative:
        o.notice(illustrative_words([illustrative]))
    o.para("Scorers are shown " + ("by name." if names else "under pseudonyms (Scorer A, B, ...); the commissioner "
                                                             "holds the key."))
    o.para("An accessible HTML version of this report can be produced from the same data (report --format html, or "
           "the Exports page).", style="pdf_note")
    o.cond_break(300).heading("Contents").contents().page_break()
    o.extend(_results(rules, table, lots))
    o.extend(_rules_applied(rules))
    o.extend(_panel_section(members, conflicts, shown))
    step(progress, 0.3, "writing scores")
    o.extend(_scores(result, table, lots, members, shown))
    o.extend(_moderation(result, table, moderation, shown))
    o.extend(_prices(rules, table, lots))
    o.extend(_failed_flagged(table, shown))
    step(progress, 0.6, "computing rank sensitivity")
    o.extend(_sensitivity(result, table, n_draws))
    o.extend(_sign_off(conflicts))
    step(progress, 0.7, "writing the scorers' rationale")
    o.extend(_rationale(result, table, lots, members, moderation))
    return o.extend(glossary_outline(o))


def _title(rules: Rules, round_name: str | None) -> str:
    return f"{rules.title}: evaluation report" + (f", {round_name}" if round_name else "")


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
    ``note``); an empty frame states that none were declared, None that none were supplied (the
    sign-off then asks for the register instead of confirming it). ``lots``: restrict to these
    lots (default all). ``names``: show scorer names (the panel's ``name`` column, else
    identifiers) instead of pseudonyms. ``illustrative``: a note shown as the illustrative-data
    mark when the bids are examples. ``n_draws``: weight draws for the rank sensitivity.
    """
    o = evaluation_outline(rules, result, moderation=moderation, panel=panel, conflicts=conflicts,
                           round_name=round_name, lots=lots, names=names, illustrative=illustrative,
                           n_draws=n_draws, progress=progress, date=date)
    step(progress, 0.8, "laying out pages")
    pdf = render(to_story(o), title=_title(rules, round_name), author=author,
                 subject="Bid evaluation: scores, moderation, price, ranks",
                 header=f"{rules.title}: evaluation report — {MARKING}", footer=MARKING,
                 keywords=["evaluation", "bids", "scoring"])
    step(progress, 1.0, "done")
    return deliver(pdf, out)


def build_evaluation_html(rules: Rules, result: ScoringResult, out: str | os.PathLike | None = None, *,
                          author: str = DEFAULT_AUTHOR, **kwargs) -> str:
    """The evaluation report as one accessible HTML page (same content and arguments as
    :func:`build_evaluation_pdf`); written atomically to ``out`` if given."""
    o = evaluation_outline(rules, result, **kwargs)
    round_name = kwargs.get("round_name")
    page = to_html(o, title=_title(rules, round_name), subtitle=f"{MARKING}. By {author}.", footer=MARKING)
    step(kwargs.get("progress"), 1.0, "done")
    return write_html(page, out)


def _decision_summary(rules: Rules, table: pd.DataFrame, lots: list[str], conflicts: pd.DataFrame | None,
                      shown: dict) -> Outline:
    """One page: the recommended bid per lot with its price, the flags to resolve before award, and who signs."""
    o = Outline().heading("Decision summary")
    flagged = table.loc[table["status"] == "flagged"]
    failed = table.loc[table["status"] == "failed"]
    decided = _decided(table)
    o.para("The bid ranked first in each lot under the published rules is recommended for award, subject to "
           + ("the flags below being decided and " if len(flagged) else "")
           + "the sign-off at the end of this report.")
    rows = [["Lot", "Recommended bid", "Total (/100)", _price_header(rules), "Runner-up", "Margin (points)"]]
    for lot in lots:
        part = table.loc[(table["lot"] == lot) & table["rank"].notna()].sort_values("rank")
        if part.empty:
            rows.append([lot, "No award: every bid failed (the lot is re-advertised)", "–", "–", "–", "–"])
            continue
        first = part.iloc[0]
        second = part.iloc[1] if len(part) > 1 else None
        rows.append([lot, f"{first.bid_id} {first.organisation}" + (" (flagged)" if first.status == "flagged" else ""),
                     fmt(first.total, 2), _money(first.price_amount),
                     "–" if second is None else f"{second.bid_id} ({fmt(second.total, 2)})",
                     "–" if second is None else fmt(first.total - second.total, 2)])
    o.table(rows, caption="Recommended bid and its value, by lot", caption_in_pdf=True,
            widths=[0.12, 0.36, 0.11, 0.13, 0.16, 0.12], align_right=[2, 3, 5])
    recommended = [table.loc[(table["lot"] == lot) & (table["rank"] == 1)] for lot in lots]
    value = sum(float(r["price_amount"].iloc[0]) for r in recommended if len(r))
    o.para(B("Value of the recommended bids: "), f"{_value_words(rules, value)}, across {len(lots)} "
           f"lot{'s' if len(lots) != 1 else ''}.")
    o.heading("Flags to resolve before award", 2)
    if flagged.empty:
        o.para("None: no ranked bid has a flag without a recorded decision.")
    else:
        o.bullets([[B(f"{b.bid_id} ({b.lot}, rank {int(b.rank)}): "), _reason_text(b.reasons, shown) + "."]
                   for b in flagged.itertuples()])
    if not decided.empty:
        o.heading("Decisions recorded on flags", 2)
        o.bullets([[B(f"{b.bid_id} ({b.lot}, rank {int(b.rank)}): "),
                    _reason_text("; ".join(f.reason for f in b.flags if f.decision is not None), shown) + "."]
                   for b in decided.itertuples()])
    if not failed.empty:
        o.para(B("Failed, not ranked: "), "; ".join(f"{b.bid_id} ({b.lot}): {_reason_text(b.reasons, shown)}"
                                                  for b in failed.itertuples()) + ".")
    o.heading("Conflicts of interest", 2)
    o.para(_conflict_words(conflicts))
    o.heading("Who signs", 2)
    o.para(", ".join(SIGNATORIES) + ": see Sign-off, after the rank sensitivity.")
    return o


def _dates(rules: Rules, day: dt.date) -> list[str]:
    """The round's dates and the report's, each labelled: bids closed, the award planned, and the day
    this report was produced (said to be a rehearsal when that is before bids closed)."""
    runs = []
    for key, words in (("bids_close", "Bids closed "), ("award", "   Award planned ")):
        if key in rules.timetable:
            runs += [B(words), today_text(rules.timetable[key])]
    closed = rules.timetable.get("bids_close")
    runs += [B("   Report produced "), today_text(day)
             + (" (before bids closed: a rehearsal on example bids)" if closed and day <= closed else "")]
    return runs


def _conflict_words(conflicts: pd.DataFrame | None) -> str:
    if conflicts is None:
        return ("No register of conflict declarations was supplied to this report: the panel chair attaches the "
                "round's register before sign-off.")
    if conflicts.empty:
        return "The register holds no declaration: no panel member declared a conflict of interest for this round."
    return (f"The register holds {len(conflicts)} declaration{'s' if len(conflicts) != 1 else ''}, listed under Panel "
            "and conflicts of interest; a conflicted member did not score that organisation's bids.")


def _reason_text(reasons, shown: dict) -> str:
    """A bid's reasons (the engine's, money already in pounds) with scorers as shown."""
    return _replace_names(str(reasons), shown)


def _decided(table: pd.DataFrame) -> pd.DataFrame:
    """Bids with at least one flag the chair has decided."""
    return table.loc[table["flags"].map(lambda flags: any(f.decision is not None for f in flags))]


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


def _status_word(status: str, flagged: bool = False) -> str:
    if status == "ranked" and flagged:
        return "Ranked, flags decided"
    return {"ranked": "Ranked", "flagged": "Ranked, flagged", "failed": "Failed"}.get(status, status)


def _maxima(rules: Rules) -> dict[str, str]:
    """Column headers with each part's maximum points, e.g. "Quality (/60)"."""
    w = rules.weights
    return {"quality": f"Quality (/{w.get('quality', 0):g})", "social_value": f"Social value (/{w.get('social_value', 0):g})",
            "price": f"Price (/{w.get('price', 0):g})", "total": "Total (/100)"}


def _results(rules: Rules, table: pd.DataFrame, lots: list[str]) -> Outline:
    o = Outline().heading("Results")
    o.para("Total = quality + social value + price points, out of 100 (points to two decimals). Bids rank within "
           "their lot by total (ties: quality, then social value, then the earlier submission). Failed bids are not "
           "ranked; the reason is given under each.")
    head = _maxima(rules)
    for lot in lots:
        rows = [["Rank", "Bid", "Organisation", head["quality"], head["social_value"], head["price"], head["total"],
                 "Status"]]
        fills = []
        part = table.loc[table["lot"] == lot]
        for r, b in enumerate(part.itertuples(), start=1):
            rows.append(["–" if pd.isna(b.rank) else str(int(b.rank)), b.bid_id, b.organisation,
                         fmt(b.quality, 2), fmt(b.social_value, 2), fmt(b.price, 2), fmt(b.total, 2),
                         _status_word(b.status, bool(b.flags))])
            fills.append((7, r, "green" if b.status == "ranked" else "amber" if b.status == "flagged" else "red"))
        block = Outline().heading(f"Lot: {lot}", 2)
        block.table(rows, caption=f"Results, lot {lot}", widths=[0.075, 0.09, 0.275, 0.1, 0.1, 0.09, 0.1, 0.17],
                    align_right=range(3, 7), fills=fills)
        failed = part.loc[part["status"] == "failed"]
        o.keep(block)
        if len(failed):
            o.para("Failed: " + "; ".join(f"{b.bid_id}: {b.reasons}" for b in failed.itertuples()) + ".",
                   style="small")
    return o.page_break()


def _rules_applied(rules) -> Outline:
    w = rules.weights
    rows = [["ID", "Criterion", "Part", "Weight in part", "Points of 100", f"Minimum (of {rules.scale.max})"]]
    for c in rules.criteria:
        points = w[c.section] * c.weight / 100
        rows.append([c.id, c.title, SECTION_WORDS.get(c.section, c.section), f"{c.weight:g}%",
                     fmt(points, 2), "–" if c.min_score is None else f"{c.min_score:g}"])
    rows.append(["–", "Price", "Price", "–", fmt(w.get("price", 0), 2), "–"])
    consensus = {"median": "median of the panel's scores", "mean": "mean of the panel's scores"}.get(
        rules.consensus, rules.consensus)
    o = Outline().heading("Rules as applied")
    o.para(f"Rules: {rules.title}, version {rules.version} ({rules.source}). Weights: "
           + ", ".join(f"{SECTION_WORDS.get(k, k).lower()} {v:g}%" for k, v in w.items()) + ".")
    o.table(rows, caption="Criteria as applied", widths=[0.07, 0.43, 0.13, 0.12, 0.12, 0.13], align_right=[3, 4])
    o.spacer(6)
    o.bullets([
        f"Scale {rules.scale.min}–{rules.scale.max}: " + "; ".join(f"{k} {v}" for k, v in
                                                                 rules.scale.descriptors.items()) + ".",
        "Pass/fail gates: " + ("; ".join(g.title for g in rules.gates) if rules.gates else "none") + ".",
        "Price: " + PRICE_METHODS.get(rules.price_method, rules.price_method),
        f"Abnormally low: a price under {rules.abnormally_low:.0%} of the lot's median price is flagged for "
        "clarification, not excluded.",
        f"Moderation: the chair's agreed score where recorded, otherwise the {consensus}; a spread of "
        f"{rules.spread_flag:g} points or more without a chair's decision flags the bid.",
    ] + ([f"Minimum scores: {rules.min_score_policy}"] if rules.min_score_policy else []))
    return o.page_break()


def _panel_section(members: pd.DataFrame, conflicts: pd.DataFrame | None, shown: dict) -> Outline:
    rows = [["Member", "Role", "Scores recorded"]]
    for m in members.itertuples():
        rows.append([m.shown, m.role, str(m.scores)])
    o = Outline().heading("Panel and conflicts of interest")
    o.table(rows, caption="Panel members", widths=[0.4, 0.35, 0.25], align_right=[2]).spacer(6)
    if conflicts is None or conflicts.empty:
        o.para(B(_conflict_words(conflicts)))
    else:
        crow = [["Member", "Organisation", "Declaration"]]
        for c in conflicts.itertuples():
            crow.append([shown.get(str(c.scorer), "Scorer (not on the panel)"), str(c.organisation),
                         _replace_names(str(getattr(c, "note", "")), shown)])
        o.para("Conflicts declared before scoring, as the round's register holds them; a conflicted member did not "
               "score that organisation's bids.")
        o.table(crow, caption="Register of conflict declarations", widths=[0.2, 0.35, 0.45])
    return o.page_break()


def _scores(result: ScoringResult, table: pd.DataFrame, lots: list[str], members: pd.DataFrame,
            shown: dict) -> Outline:
    rules = result.rules
    order = list(members["scorer"])
    tags = [members.set_index("scorer").loc[s, "shown"] for s in order]
    o = Outline().heading("Scores by bid")
    o.para("Each member's score per criterion, the moderated score and how it was reached (median, mean or the "
           "chair's moderation), and the points it earns out of the criterion's maximum. A dash means no score was "
           "recorded.")
    width_members = min(0.38, 0.095 * len(order))
    for lot in lots:
        for b in table.loc[table["lot"] == lot].itertuples():
            mine = result.scores.loc[result.scores["bid_id"] == b.bid_id]
            marks = mine.pivot_table(index="criterion", columns="scorer", values="score", aggfunc="first")
            rows = [["Criterion"] + tags + [f"Moderated (/{rules.scale.max})", "Basis", "Points"]]
            for c in rules.criteria:
                line = [f"{c.id} {c.title}"]
                for s in order:
                    value = marks.at[c.id, s] if c.id in marks.index and s in marks.columns else float("nan")
                    line.append(_score_text(value))
                max_points = rules.weights[c.section] * c.weight / 100
                line += [fmt(result.moderated.at[b.bid_id, c.id], 1), str(result.basis.at[b.bid_id, c.id]),
                         f"{fmt(result.points.at[b.bid_id, c.id], 2)} / {fmt(max_points, 2)}"]
                rows.append(line)
            each = width_members / max(len(order), 1)
            head = (f"{b.bid_id} — {b.organisation} ({lot}): "
                    + (f"rank{NBSP}{int(b.rank)}, total{NBSP}{b.total:.2f}" if not pd.isna(b.rank) else "failed"))
            block = Outline().heading(head, 2)
            if pd.isna(b.rank):
                block.para(B("Why it failed: "), _reason_text(b.reasons, shown) + ".")
            block.table(rows, caption=f"Scores of {b.bid_id}",
                        widths=[1 - width_members - 0.41] + [each] * len(order) + [0.15, 0.1, 0.16],
                        align_right=list(range(1, len(order) + 2)) + [len(order) + 3])
            o.keep(block)
    return o.page_break()


def _score_text(value: float) -> str:
    return fmt(value, 0) if value == value and float(value).is_integer() else fmt(value, 1)


def _moderation(result: ScoringResult, table: pd.DataFrame, moderation: pd.DataFrame | None, shown: dict) -> Outline:
    o = Outline().heading("Moderation decisions")
    chair = result.basis.loc[result.basis.index.isin(table["bid_id"])]
    decisions = [(bid, c) for bid in chair.index for c in chair.columns if chair.at[bid, c] == "chair"]
    if not decisions:
        return o.para("The chair recorded no moderated score: every moderated score is the rules' consensus of the "
                      "panel's scores.").cond_break(200)
    notes = _notes(moderation)
    rows = [["Bid", "Criterion", "Panel scores", "Moderated", "Note"]]
    for bid, c in decisions:
        panel = result.scores.loc[(result.scores["bid_id"] == bid) & (result.scores["criterion"] == c), "score"]
        rows.append([bid, c, ", ".join(f"{v:g}" for v in sorted(panel)), fmt(result.moderated.at[bid, c], 1),
                     _replace_names(notes.get((bid, c), "(no note)"), shown)])
    return o.table(rows, caption="The chair's moderation decisions", widths=[0.1, 0.12, 0.145, 0.145, 0.49],
                   align_right=[3]).cond_break(200)


def _notes(moderation: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """The chair's notes as ``{(bid_id, criterion): note}`` (keys stripped, as the engine reads them)."""
    if moderation is None or moderation.empty:
        return {}
    return {(str(r.bid_id).strip(), str(r.criterion).strip()): str(r.note) for r in moderation.itertuples()}


def _prices(rules, table: pd.DataFrame, lots: list[str]) -> Outline:
    o = Outline().heading("Price scores")
    o.para(PRICE_METHODS.get(rules.price_method, rules.price_method) +
           f" Price weight: {rules.weights.get('price', 0):g} points.")
    rows = [["Lot", "Bid", _price_header(rules), "Lowest in lot", "Median in lot", _maxima(rules)["price"], "Note"]]
    for lot in lots:
        for b in table.loc[table["lot"] == lot].itertuples():
            price_flag = next((f for f in b.flags if f.key == "price"), None)
            note = ("not scored (failed)" if b.status == "failed" else "" if price_flag is None else
                    "abnormally low: decision needed" if price_flag.decision is None else
                    "abnormally low: decided (see the decision summary)")
            rows.append([lot, b.bid_id, _money(b.price_amount), _money(b.lot_lowest), _money(b.lot_median),
                         fmt(b.price, 2), note])
    return o.table(rows, caption="Price scores", widths=[0.13, 0.09, 0.13, 0.14, 0.14, 0.12, 0.25],
                   align_right=[2, 3, 4, 5]).cond_break(200)


def _price_header(rules: Rules) -> str:
    """A price column's header, on the rules' price basis ("Price a year")."""
    return f"Price {rules.price_words()}".strip()


def _value_words(rules: Rules, value: float) -> str:
    """The recommended bids' value on the price basis, with the value of the initial term:
    "£964,000 a year, £2,892,000 over the initial 3-year term"."""
    if rules.price_basis is None:
        return f"{_money(value)} (the rules set no price basis)"
    annual, term = rules.annual_value(value), rules.term_value(value)
    return f"{_money(annual)} a year, {_money(term)} over the initial {rules.contract_years}-year term"


def _money(value) -> str:
    return "–" if value is None or value != value else f"£{value:,.0f}"


def _failed_flagged(table: pd.DataFrame, shown: dict) -> Outline:
    o = Outline().heading("Failed and flagged bids")
    rows = [["Bid", "Lot", "Status", "Reasons"]]
    listed = set(_decided(table)["bid_id"])
    for b in table.loc[(table["status"] != "ranked") | table["bid_id"].isin(listed)].itertuples():
        rows.append([b.bid_id, b.lot, _status_word(b.status, bool(b.flags)), _reason_text(b.reasons, shown)])
    if len(rows) == 1:
        return o.para("Every bid passed its gates and minimum scores, and none was flagged.").cond_break(200)
    o.para("A failed bid is not ranked and does not set the lowest price. A flagged bid is ranked but needs a decision "
           "before award (an explanation of a low price, or moderation of a wide spread of scores); the chair's "
           "recorded decision is quoted after each flag it settles.")
    return o.table(rows, caption="Failed and flagged bids", widths=[0.1, 0.14, 0.16, 0.6]).cond_break(200)


def _sensitivity(result: ScoringResult, table: pd.DataFrame, n_draws: int) -> Outline:
    o = Outline().heading("Rank sensitivity")
    if not table["rank"].notna().any():
        return o.para("No bid was ranked.").page_break()
    sens = rank_sensitivity(result, n_draws=n_draws)
    sens = sens.loc[sens["bid_id"].isin(table["bid_id"])]
    rows = [["Lot", "Bid", "Rank", "Keeps its rank", "Ranked first"]]
    for s in sens.itertuples():
        rows.append([s.lot, s.bid_id, str(int(s.rank)), f"{s.keep_share:.0%}", f"{s.first_share:.0%}"])
    o.para(f"How robust the ranks are to the weights: {n_draws:,} random sets of weights were drawn around the "
           "published ones (Dirichlet, concentration 100: a criterion worth 12 points varies by about ±3), every "
           "total recomputed and the bids re-ranked within their lot. A rank kept in nearly every draw does not hinge "
           "on the exact weights.")
    return o.table(rows, caption="Share of weight draws keeping each rank", widths=[0.25, 0.15, 0.12, 0.24, 0.24],
                   align_right=[2, 3, 4]).page_break()


def _sign_off(conflicts: pd.DataFrame | None) -> Outline:
    rows = [["Role", "Name", "Signature", "Date"]] + [[role, "", "", ""] for role in SIGNATORIES]
    if conflicts is None:
        conflict_line = ("that the round's register of conflict declarations (not supplied to this report) has been "
                         "checked and is attached, ")
    elif conflicts.empty:
        conflict_line = "that no conflict of interest was declared before scoring, as the register records, "
    else:
        conflict_line = ("that conflicts of interest were declared before scoring, as the register above records, "
                         "and no conflicted member scored that organisation's bids, ")
    o = Outline().heading("Sign-off")
    o.para("We confirm that the bids were evaluated under the published rules above, " + conflict_line +
           "that every score has a recorded reason, and that the results above are those the rules give.")
    return o.spacer(6).table(rows, caption="Signatures", widths=[0.25, 0.3, 0.3, 0.15],
                             row_heights=[None] + [34] * len(SIGNATORIES))  # room to sign by hand


_BASIS_WORDS = {"median": "panel median", "mean": "panel mean", "chair": "chair's moderation",
                "need alignment": "from the needs assessment", "none": "no score"}


def _rationale(result: ScoringResult, table: pd.DataFrame, lots: list[str], members: pd.DataFrame,
               moderation: pd.DataFrame | None) -> Outline:
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
    o = Outline().page_break().heading("Annex: scorers' rationale")
    o.para("Every panel member's score and the reason they gave for it, criterion by criterion, with the moderated "
           "score, how it was reached and, where the chair moderated it, the chair's note. Scorer identifiers inside "
           "the comments are shown as in the rest of the report.",
           *([] if "comment" in scores.columns else [B(" The scores were supplied without comments.")]))
    for lot in lots:
        for b in table.loc[table["lot"] == lot].itertuples():
            head = (f"{b.bid_id} — {b.organisation} ({lot}): "
                    + (f"rank{NBSP}{int(b.rank)}" if not pd.isna(b.rank) else "failed"))
            block = Outline().heading(head, 2)
            _rationale_table(block, result, b.bid_id, marks, shown, notes)
            o.keep(block)
    return o


def _rationale_table(o: Outline, result: ScoringResult, bid: str, marks: dict, shown: dict, notes: dict) -> None:
    """One bid's rationale: a group of rows per criterion (one per scorer, in panel order, plus the
    chair's note), the criterion and its moderated score spanning the group in the PDF."""
    rules = result.rules
    order = {s: i for i, s in enumerate(shown)}
    rows = [["Criterion", "Scorer", "Score", "Rationale"]]
    spans, groups = [], []
    for c in rules.criteria:
        first = len(rows)
        basis, moderated = result.basis.at[bid, c.id], result.moderated.at[bid, c.id]
        label = [B(c.id), f" {c.title}\nModerated: ", B(_score_text(moderated)),
                 f" ({_BASIS_WORDS.get(basis, basis)})"]
        panel = sorted(marks.get((bid, c.id), []), key=lambda m: order.get(m[0], len(order)))
        for scorer, value, comment in panel:
            text = _replace_names(comment, shown) if comment else "(no comment recorded)"
            rows.append([label if len(rows) == first else "", shown.get(scorer, scorer), _score_text(value), text])
        if not panel:
            rows.append([label, "–", "–", "Scored from the needs assessment, not by the panel."
                         if c.type == "need_alignment" else "(no panel score recorded)"])
        if basis == "chair":
            values = pd.Series([m[1] for m in panel], dtype=float)
            consensus = values.median() if rules.consensus == "median" else values.mean()
            rows.append(["", [B(f"Chair's moderated score: {_score_text(moderated)}"),
                              f" (panel {rules.consensus} {_score_text(consensus)}). Chair's note: "
                              + _replace_names(notes.get((bid, c.id), "(no note)"), shown)], "", ""])
            spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
        spans.append(("SPAN", (0, first), (0, len(rows) - 1)))
        groups.append((first, len(rows) - 1))
    # a comment longer than a page continues on the next one (split_in_row) rather than failing the layout
    o.table(rows, caption=f"Rationale for {bid}", widths=[0.25, 0.11, 0.085, 0.555], align_right=[2],
            split_in_row=True,
            pdf_style=spans + [("VALIGN", (0, 1), (-1, -1), "TOP")]
            + [("BACKGROUND", (0, r0), (-1, r1), ZEBRA if i % 2 else colors.white) for i, (r0, r1) in enumerate(groups)]
            + [("LINEBELOW", (0, r1), (-1, r1), 0.3, RULE) for _, r1 in groups])
