"""The published priorities as a PDF: what will be commissioned where, and how bids will be judged.

This is the public document the review asks for at least three months before bids are invited:
the priorities derived from the needs assessment, every scoring rule (criteria with weights,
sections, the scale, minimum scores, gates, the price method and the moderation rule) and the
timetable with its notice check. It holds no bid data and no service location.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

from reportlab.platypus import CondPageBreak, PageBreak, Spacer, Table, TableStyle

from commissioning.demand.contract import contract_from_rules
from commissioning.needs.assessment import Assessment
from commissioning.needs.dataset import Dataset
from commissioning.procurement.rules import TIMETABLE_ORDER, Rules
from commissioning.publish.pdf.style import (
    CONTENT_WIDTH,
    FONT,
    MARK_EDGE,
    RAG_FILL,
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
from commissioning.publish.pdf.trends_chapter import contract_need_flowables, estimated_mark
from commissioning.publish.priorities import (
    NOTICE_MONTHS,
    derive_priorities,
    group_provision,
    group_summary,
    timetable_check_from_rules,
)

DEFAULT_AUTHOR = "Victim services commissioning"
SECTION_WORDS = {"quality": "Quality", "social_value": "Social value", "price": "Price"}
MILESTONE_WORDS = {"priorities_published": "Priorities and scoring rules published",
                   "bids_invited": "Bids invited", "bids_close": "Deadline for bids", "award": "Award"}
PRICE_METHODS = {
    "lowest_relative": ("Relative to the lowest price: price score = price weight × lowest price ÷ the bid's "
                        "price. The lowest-priced bid in the running in a lot gets the full price weight."),
    "proportional_deviation": ("Proportional deviation from the lowest price: price score = price weight × "
                               "max(0, 1 − (the bid's price − lowest price) ÷ lowest price). A bid twice the "
                               "lowest price scores 0 for price."),
}


def build_priorities_pdf(assessment: Assessment, rules: Rules, out: str | os.PathLike | BinaryIO | None = None, *,
                         progress: Progress | None = None, top_n: int = 5,
                         author: str = DEFAULT_AUTHOR, date: dt.date | None = None, contract_need: bool = True
                         ) -> bytes:
    """Build the published-priorities PDF; return its bytes and write them to ``out`` if given.

    ``assessment``: :func:`~commissioning.needs.assessment.run_assessment` of the data; ``rules``:
    validated scoring rules (:func:`commissioning.procurement.rules.load_rules`); ``top_n``:
    authorities named per priority. ``date`` (publication date)
    defaults to the rules' ``timetable.priorities_published``, else today. ``contract_need``: add
    need per year of the rules' contract period, from the demand forecasts (marked estimated).
    """
    step(progress, 0.0, "deriving priorities")
    ds = assessment.dataset
    priorities = derive_priorities(assessment, top_n=top_n)
    check = timetable_check_from_rules(rules)
    day = date or rules.timetable.get("priorities_published") or dt.date.today()
    title = f"{rules.title}: commissioning priorities and how bids will be judged"
    notes = ds.illustrative_notes()

    story = [Spacer(1, 60), para(esc(rules.title), "title"),
             para("Commissioning priorities and how bids will be judged", "subtitle"),
             para(f"<b>Published</b> {today_text(day)} &nbsp;&nbsp; <b>By</b> {esc(author)} &nbsp;&nbsp; "
                  f"<b>Rules version</b> {rules.version}"), Spacer(1, 14)]
    story += illustrative_mark(notes)
    story += estimated_mark(ds.estimated_notes())
    story += [para("This document is published before bids are invited so that every organisation, large or "
                   "small, knows what will be funded and exactly how bids will be judged. The rules below will "
                   "not change after bids are invited."),
              PageBreak(), heading("Contents"), contents(), PageBreak()]

    step(progress, 0.3, "writing priorities")
    story += priority_flowables(
        ds, priorities, f"From the needs assessment: each service that falls short of its benchmark, most severe "
        f"first, with the {top_n} authorities where the shortfall is largest. Bids that add capacity where these "
        "gaps are will answer the priorities best.")
    if contract_need:
        step(progress, 0.35, "forecasting need over the contract period")
        story += contract_need_flowables(ds, assessment.gaps, contract_from_rules(rules))
    story.append(CondPageBreak(250))
    step(progress, 0.5, "writing scoring rules")
    story += _rules(rules)
    story += _timetable(rules, check)

    step(progress, 0.8, "laying out pages")
    pdf = render(story, title=title, author=author,
                 subject="Published commissioning priorities, scoring rules and timetable",
                 header=f"{rules.title}: published priorities" + (" — ILLUSTRATIVE DATA" if notes else ""),
                 footer=f"Published {today_text(day)} · rules version {rules.version}",
                 keywords=["commissioning priorities", "scoring rules", "victim services"])
    step(progress, 1.0, "done")
    return deliver(pdf, out)


def priority_flowables(ds: Dataset, priorities, intro: str) -> list:
    """The priorities chapter (shared with the needs assessment): one block per priority, then the
    specialist provision for each group the review named."""
    story = [heading("Commissioning priorities"), para(intro)]
    if not priorities:
        story.append(para("Every service meets its benchmark in every authority: there is no shortfall to prioritise."))
    for p in priorities:
        source = f"Source: {esc(p.citation)}" + (" Based on illustrative data." if p.illustrative else "")
        story.append(keep(heading(f"{p.rank}. {p.title}", 2), para(esc(p.rationale)), para(source, "small")))
    groups = group_provision(ds)
    types = list(groups[0].share_pct) if groups else []
    labels = [esc(ds.benchmarks.services[s].label.split(" (")[0]) for s in types]
    rows = [["Group the review found less well served", *labels, "Authorities covered"]]
    for g in groups:
        rows.append([esc(g.group)] + [f"{g.share_pct[s]:.0f}%" for s in types] + [str(g.authorities)])
    width = 0.4 / max(len(types), 1)
    story.append(keep(heading("Groups with little specialist provision", 2),
                      para("Share of each service's capacity delivered by services specialising in the group (from "
                           "the register's specialism field), and how many authorities those services cover."),
                      data_table(rows, [0.42] + [width] * len(types) + [0.18], align_right=range(1, len(types) + 2)),
                      Spacer(1, 4), para(esc(group_summary(ds, groups)))))
    return story


def _points(rules: Rules, criterion) -> float:
    return rules.weights[criterion.section] * criterion.weight / 100.0


def _rules(rules: Rules) -> list:
    w = rules.weights
    story = [heading("How bids will be judged"),
             para("Contracts go to the most advantageous tender (Procurement Act 2023): the bid that meets the "
                  "requirements and best satisfies the criteria below, applied with the weights shown. Quality "
                  "outweighs price, so that specialist organisations are not priced out."),
             heading("Weights", 2),
             data_table([["Part of the score", "Weight (points of 100)"]]
                        + [[SECTION_WORDS.get(k, k), f"{v:g}%"] for k, v in w.items()] + [["Total", "100%"]],
                        [0.6, 0.4], align_right=[1], total_row=True),
             heading("Criteria", 2),
             para("Each criterion's weight is its share of its part of the score; its points are that share of the "
                  "part's weight. A bid scoring below a criterion's minimum fails (see Minimum scores).")]
    rows = [["ID", "Criterion", "Part", "Weight in part", "Points of 100", "Minimum score"]]
    for c in rules.criteria:
        rows.append([esc(c.id), esc(c.title), SECTION_WORDS.get(c.section, c.section), f"{c.weight:g}%",
                     fmt(_points(rules, c), 1), "–" if c.min_score is None else f"{c.min_score:g} of {c.max_score}"])
    rows.append(["", "Price", "Price", "–", fmt(w.get("price", 0.0), 1), "–"])
    story.append(data_table(rows, [0.07, 0.43, 0.13, 0.12, 0.12, 0.13], align_right=[3, 4]))
    # the heading goes inside the first criterion's block: keepWithNext does not reach into a KeepTogether
    first = [heading("What a strong answer shows", 2)]
    for c in rules.criteria:
        extra = ""
        if c.type == "need_alignment":
            extra = (f" Scored from the bid itself, not by the panel: the share of the bid's proposed "
                     f"{esc(c.service or 'service')} capacity placed in authorities with a shortfall.")
        story.append(keep(*first,
                          para(f"<b>{esc(c.id)} {esc(c.title)}</b> ({SECTION_WORDS.get(c.section, c.section)}, "
                               f"weight {c.weight:g}%, {fmt(_points(rules, c), 1)} points; scored 0–{c.max_score})"),
                          para(esc(c.guidance) + extra)))
        first = []
    scale = rules.scale
    story.append(keep(heading("Scoring scale", 2),
                      para(f"Each panel member scores each quality and social value criterion on a whole-number "
                           f"scale from {scale.min} to {scale.max}:"),
                      data_table([["Score", "Meaning"]] + [[str(k), esc(v)] for k, v in scale.descriptors.items()],
                                 [0.15, 0.85])))
    minimums = [c for c in rules.criteria if c.min_score is not None]
    story += [heading("Minimum scores", 2),
              para("Minimum scores: " + "; ".join(f"{esc(c.id)} {esc(c.title)}: {c.min_score:g}" for c in minimums)
                   + "." if minimums else "No criterion has a minimum score."),
              para(esc(rules.min_score_policy) if rules.min_score_policy else
                   "A bid below a published minimum fails and is not ranked. Minimums are never waived or lowered "
                   "after bids arrive.")]
    story += [heading("Pass/fail requirements", 2),
              para("A bid that does not meet every requirement below fails and is not scored further:")
              if rules.gates else para("There are no pass/fail requirements beyond the minimum scores."),
              *bullets([esc(g.title) for g in rules.gates])]
    method = PRICE_METHODS.get(rules.price_method, f"Method: {esc(rules.price_method)}.")
    story += [heading("Price", 2),
              para(f"Price carries {w.get('price', 0):g} points of 100. {method} Prices are compared within each "
                   "lot, among the bids still in the running."),
              para(f"A price below {rules.abnormally_low:.0%} of the median price in its lot is flagged as possibly "
                   "abnormally low: the bidder is asked to explain it before any decision. It is not excluded "
                   "automatically.")]
    consensus = {"median": "the median of the panel's scores", "mean": "the mean of the panel's scores"}.get(
        rules.consensus, esc(rules.consensus))
    story += [heading("Panel, conflicts and moderation", 2),
              *bullets([
                  "Panel members declare any conflict of interest before scoring; a conflicted member does not "
                  "score that bidder.",
                  "Each member scores every bid independently and records a reason for every score.",
                  f"The moderated score on a criterion is {consensus}, unless the panel chair records an agreed "
                  "moderated score with a note saying why it moved.",
                  f"Where panel scores differ by {rules.spread_flag:g} points or more, the criterion is discussed "
                  "at moderation before a score is agreed.",
                  "Every score, reason, moderated score and note is kept, so every result can be explained.",
              ]),
              CondPageBreak(250)]
    return story


def _timetable(rules: Rules, check) -> list:
    timetable = rules.timetable
    story = [heading("Timetable")]
    if not timetable:
        return story + [para("The timetable will be published before bids are invited.")]
    order = [k for k in TIMETABLE_ORDER if k in timetable] + [k for k in timetable if k not in TIMETABLE_ORDER]
    rows = [["Milestone", "Date"]] + [[MILESTONE_WORDS.get(k, k.replace("_", " ").capitalize()),
                                       today_text(timetable[k])] for k in order]
    story.append(data_table(rows, [0.6, 0.4]))
    story.append(Spacer(1, 8))
    if check is None:
        text = (f"The notice check needs both the publication date and the date bids are invited; at least "
                f"{NOTICE_MONTHS} calendar months must separate them.")
        ok = False
    else:
        text = ("<b>Notice check: met.</b> " if check.ok else "<b>Notice check: NOT MET.</b> ") + esc(check.message)
        ok = check.ok
    box = Table([[para(text)]], colWidths=[CONTENT_WIDTH])
    box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                             ("BACKGROUND", (0, 0), (-1, -1), RAG_FILL["green" if ok else "red"]),
                             ("BOX", (0, 0), (-1, -1), 1, MARK_EDGE), ("LEFTPADDING", (0, 0), (-1, -1), 8),
                             ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    story += [box, Spacer(1, 6),
              para(f"The rule: bids are invited no earlier than the same day {NOTICE_MONTHS} calendar months after "
                   "the priorities are published (or the last day of that month when it has no such day; e.g. "
                   "published 30 November, bids invited from 28 February, or 29 February in a leap year).", "small")]
    return story
