"""The published priorities as a PDF: what will be commissioned where, and how bids will be judged.

This is the public document the review asks for at least three months before bids are invited:
the priorities derived from the needs assessment, every scoring rule (criteria with weights,
sections, the scale, minimum scores, gates, the price method and the moderation rule) and the
timetable with its notice check. It opens with an "at a glance" page a small specialist charity
can act on: the dates, the lots and the authorities in each with their indicative values, the
contract's length, how to bid and whom to ask. It holds no bid data and no service location.
Built once as an outline and rendered to PDF or to accessible HTML.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

from commissioning.demand.contract import contract_from_rules
from commissioning.needs.assessment import Assessment, digits_for
from commissioning.needs.dataset import Dataset
from commissioning.procurement.lifecycle import LONDON, deadline
from commissioning.procurement.rules import TIMETABLE_ORDER, Rules
from commissioning.procurement.timetable import (
    NOTICE_MONTHS,
    timetable_check_from_rules,
)
from commissioning.publish.contracts_section import current_contracts_outline
from commissioning.publish.glossary import glossary_outline
from commissioning.publish.headline import headline, money
from commissioning.publish.lots import check_lots, lots_outline
from commissioning.publish.outline import B, Outline, to_html
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import (
    CELL_SIZE_TIGHT,
    Progress,
    deliver,
    estimated_words,
    fmt,
    illustrative_words,
    render,
    step,
    today_text,
    write_html,
)
from commissioning.publish.pdf.trends_chapter import contract_need_outline
from commissioning.publish.priorities import (
    LotProfile,
    derive_priorities,
    group_provision,
    group_summary,
    lot_profile,
)
from commissioning.publish.wording import estimated_mark, illustrative_mark

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


ACCESSIBLE_VERSION = ("An accessible HTML version of this document is published beside it (same name, ending "
                      ".html); ask the contact below for another format.")


def priorities_outline(assessment: Assessment, rules: Rules, *, progress: Progress | None = None, top_n: int = 5,
                       author: str = DEFAULT_AUTHOR, date: dt.date | None = None, contract_need: bool = True,
                       contracts: list[dict] | None = None) -> Outline:
    """The published priorities' content, the same for the PDF and the HTML (see
    :func:`build_priorities_pdf`)."""
    step(progress, 0.0, "deriving priorities")
    ds = assessment.dataset
    priorities = derive_priorities(assessment, top_n=top_n)
    check = timetable_check_from_rules(rules)
    day = _published(rules, date)
    notes = ds.illustrative_notes()
    check_lots(rules, ds)

    o = Outline().para(rules.title, style="title")
    o.para("Commissioning priorities and how bids will be judged", style="subtitle")
    o.para(B("Published "), today_text(day), B("   By "), author, B("   Rules version "), str(rules.version),
           style="cover")
    if notes:
        o.notice(illustrative_mark("listed on page 2"))
    if ds.estimated_notes():
        o.notice(estimated_mark("listed on page 2"), kind="estimated")
    o.extend(_at_a_glance(rules, assessment))
    o.page_break().heading("About the data")
    if notes:
        o.notice(illustrative_words(notes))
    estimated = ds.estimated_notes()
    if estimated:
        o.notice(estimated_words(estimated), kind="estimated")
    o.para("This document is published before bids are invited so that every organisation, large or small, knows "
           "what will be funded and exactly how bids will be judged. The rules below will not change after bids are "
           "invited.")
    o.para(ACCESSIBLE_VERSION, style="pdf_note")
    o.heading("Contents").contents().page_break()
    step(progress, 0.3, "writing priorities")
    o.extend(priority_outline(
        ds, priorities, f"From the needs assessment: each service that falls short of its benchmark somewhere, with "
        f"the {top_n} authorities where the shortfall is largest. Services short across the whole area come first, "
        "then those with firm (published) benchmarks, then the larger need left unmet. Bids that add capacity where "
        "these gaps are will answer the priorities best."))
    contract = contract_from_rules(rules) if contract_need else None
    if contract is not None:
        step(progress, 0.35, "forecasting need over the contract period")
        o.extend(contract_need_outline(ds, assessment.gaps, contract))
    o.extend(current_contracts_outline(contracts or [], day))
    o.cond_break(250)
    o.extend(_lots(assessment, rules))
    for lot in rules.lots:
        o.page_break().extend(lot_profile_outline(lot_profile(assessment, lot), rules))
    step(progress, 0.5, "writing scoring rules")
    o.extend(_rules(rules))
    o.extend(_timetable(rules, check))
    return o.extend(glossary_outline(o))


def build_priorities_pdf(assessment: Assessment, rules: Rules, out: str | os.PathLike | BinaryIO | None = None, *,
                         progress: Progress | None = None, top_n: int = 5,
                         author: str = DEFAULT_AUTHOR, date: dt.date | None = None, contract_need: bool = True,
                         contracts: list[dict] | None = None) -> bytes:
    """Build the published-priorities PDF; return its bytes and write them to ``out`` if given.

    ``assessment``: :func:`~commissioning.needs.assessment.run_assessment` of the data; ``rules``:
    validated scoring rules (:func:`commissioning.procurement.rules.load_rules`); ``top_n``:
    authorities named per priority. ``date`` (publication date)
    defaults to the rules' ``timetable.priorities_published``, else today. ``contract_need``: add
    need per year of the rules' contract period, from the demand forecasts (marked estimated).
    ``contracts``: the contracts in place (``Store.published_contracts(date)``), cited with their KPIs.
    """
    o = priorities_outline(assessment, rules, progress=progress, top_n=top_n, author=author, date=date,
                           contract_need=contract_need, contracts=contracts)
    step(progress, 0.8, "laying out pages")
    day = _published(rules, date)
    notes = assessment.dataset.illustrative_notes()
    pdf = render(to_story(o), title=_title(rules), author=author,
                 subject="Published commissioning priorities, scoring rules and timetable",
                 header=f"{rules.title}: published priorities" + (" — ILLUSTRATIVE DATA" if notes else ""),
                 footer=f"Published {today_text(day)} · rules version {rules.version}",
                 keywords=["commissioning priorities", "scoring rules", "victim services"])
    step(progress, 1.0, "done")
    return deliver(pdf, out)


def build_priorities_html(assessment: Assessment, rules: Rules, out: str | os.PathLike | None = None, *,
                          progress: Progress | None = None, top_n: int = 5, author: str = DEFAULT_AUTHOR,
                          date: dt.date | None = None, contract_need: bool = True,
                          contracts: list[dict] | None = None) -> str:
    """The published priorities as one accessible HTML page; written atomically to ``out`` if given
    (arguments as :func:`build_priorities_pdf`)."""
    o = priorities_outline(assessment, rules, progress=progress, top_n=top_n, author=author, date=date,
                           contract_need=contract_need, contracts=contracts)
    day = _published(rules, date)
    page = to_html(o, title=_title(rules), subtitle=f"Published {today_text(day)} · rules version {rules.version}",
                   footer=f"{rules.title}. Published {today_text(day)} by {author}.")
    step(progress, 1.0, "done")
    return write_html(page, out)


def _title(rules: Rules) -> str:
    return f"{rules.title}: commissioning priorities and how bids will be judged"


def _published(rules: Rules, date: dt.date | None) -> dt.date:
    return date or rules.timetable.get("priorities_published") or dt.date.today()


def _years(value: float) -> str:
    return f"{value:g} year" + ("" if value == 1 else "s")


def _at_a_glance(rules: Rules, assessment: Assessment) -> Outline:
    """The first page's summary for a bidder: the gap the round addresses and what the lots' budgets
    buy against it, dates (the deadline to the minute), lots, value, price basis, contract, how to bid,
    contact. Its tables are at 9 pt (the smallest table text) so that it fits on the cover."""
    o = Outline().heading("At a glance")
    head = headline(assessment)
    values = [lot.indicative_value_gbp for lot in rules.lots if lot.indicative_value_gbp is not None]
    if head.costs:
        amounts = [f"{fmt(v, digits_for(u))} {'FTE posts' if u == 'FTE' else 'refuge ' + u}"
                   for u, v in head.gap_by_unit.items()]
        o.para(B("The gap: "), f"closing every authority's gap takes {' and '.join(amounts)}, about "
               f"{money(head.total_cost)} a year."
               + (f" The lots' indicative values come to {money(sum(values))} a year, "
                  f"{100 * sum(values) / head.total_cost:.0f}% of that: bids say which part of the gap they close."
                  if values and head.total_cost else ""))
    t = rules.timetable
    rows = [["What", "When"]] + [[MILESTONE_WORDS.get(k, k.replace("_", " ").capitalize()),
                                  _deadline_words(rules) if k == "bids_close" else today_text(t[k])]
                                 for k in TIMETABLE_ORDER if k in t]
    if len(rows) > 1:
        o.table(rows, caption="Key dates", widths=[0.6, 0.4], caption_in_pdf=True, size=CELL_SIZE_TIGHT)
        o.spacer(6)
    else:
        o.para(B("Dates: "), "the timetable will be published before bids are invited.")
    if rules.lots:
        lot_rows = [["Lot", "Authorities", "Indicative value a year"]]
        for lot in rules.lots:
            value = "not published" if lot.indicative_value_gbp is None else f"£{lot.indicative_value_gbp:,.0f}"
            lot_rows.append([lot.name, ", ".join(sorted(lot.boroughs)), value])
        total = sum(lot.indicative_value_gbp or 0 for lot in rules.lots)
        if all(lot.indicative_value_gbp is not None for lot in rules.lots):
            lot_rows.append(["All lots", f"{sum(len(lot.boroughs) for lot in rules.lots)} authorities",
                             f"£{total:,.0f}"])
        o.table(lot_rows, caption="Lots, the authorities in each and their indicative value", caption_in_pdf=True,
                widths=[0.12, 0.74, 0.14], align_right=[2], total_row=True, size=CELL_SIZE_TIGHT)
    else:
        o.para(B("Lots: "), "one contract for the whole area (no lots are published).")
    facts = []
    if rules.price_words():
        facts.append([B("Prices: "), f"each bid gives its price {rules.price_words()}, in pounds."])
    if rules.contract_years:
        extension = (f", with an optional extension of up to {_years(rules.extension_years)}"
                     if rules.extension_years else ", with no extension")
        quote = f" Quote the price {rules.price_words()}." if rules.price_basis else ""
        facts.append([B("Contract: "), f"{_years(rules.contract_years)}{extension}.{quote}"])
    facts.append([B("How bids are judged: "), "quality " + f"{rules.weights.get('quality', 0):g}, social value "
                  f"{rules.weights.get('social_value', 0):g} and price {rules.weights.get('price', 0):g} points of "
                  "100; prices are compared only within a lot."])
    facts.append([B("How to bid: "), rules.how_to_bid or "the invitation to bid will say how to submit a bid."])
    facts.append([B("Questions: "), rules.contact or "the invitation to bid will name a contact."])
    return o.bullets(facts)


def _deadline_words(rules: Rules) -> str:
    """The bid deadline to the minute, London time (``procurement.lifecycle.deadline``)."""
    closes = deadline(rules).astimezone(LONDON)
    last_day = (closes - dt.timedelta(minutes=1)).date()
    return f"{today_text(last_day)}, 11:59 pm London time"


def _lots(assessment: Assessment, rules: Rules) -> Outline:
    o = Outline().heading("Lots")
    if not rules.lots:
        return o.para("Bids are invited for the whole area as one lot.")
    o.para("Bids are invited lot by lot. A bid covers one lot; an organisation may bid for several. Prices are "
           "compared only between bids for the same lot.")
    return o.extend(lots_outline(assessment, rules, level=2))


def priority_outline(ds: Dataset, priorities, intro: str) -> Outline:
    """The priorities chapter (shared with the needs assessment): one block per priority, then the
    specialist provision for each group the review named."""
    o = Outline().heading("Commissioning priorities").para(intro)
    if not priorities:
        o.para("Every service meets its benchmark in every authority: there is no shortfall to prioritise.")
    for p in priorities:
        o.heading(f"{p.rank}. {p.title}", 2).para(p.rationale)
        o.para(f"Source: {p.citation}" + (" Based on illustrative data." if p.illustrative else "")
               + (f" Provision: {p.provision}." if p.provision else ""), style="small")
    groups = group_provision(ds)
    types = list(groups[0].share_pct) if groups else []
    labels = [ds.benchmarks.services[s].label.split(" (")[0] for s in types]
    rows = [["Group the review found less well served", *labels, "Authorities covered"]]
    for g in groups:
        rows.append([g.group] + [f"{g.share_pct[s]:.0f}%" for s in types] + [str(g.authorities)])
    width = 0.52 / max(len(types), 1)
    o.cond_break(300).heading("Groups with little specialist provision", 2)
    o.para("Share of each service's capacity delivered by services specialising in the group (from the register's "
           "specialism field), and how many authorities those services cover.")
    o.table(rows, caption="Specialist provision by group", widths=[0.32] + [width] * len(types) + [0.16],
            align_right=range(1, len(types) + 2))
    o.spacer(4).para(group_summary(ds, groups))
    return o


def _points(rules: Rules, criterion) -> float:
    return rules.weights[criterion.section] * criterion.weight / 100.0


def _rules(rules: Rules) -> Outline:
    w = rules.weights
    o = Outline().heading("How bids will be judged")
    o.para("Contracts go to the most advantageous tender (Procurement Act 2023): the bid that meets the requirements "
           "and best satisfies the criteria below, applied with the weights shown. Quality outweighs price, so that "
           "specialist organisations are not priced out.")
    o.heading("Weights", 2)
    o.table([["Part of the score", "Weight (% of the score)"]]
            + [[SECTION_WORDS.get(k, k), f"{v:g}%"] for k, v in w.items()] + [["Total", "100%"]],
            caption="Weights", widths=[0.6, 0.4], align_right=[1], total_row=True)
    o.heading("Criteria", 2)
    o.para("Each criterion's weight is its share of its part of the score; its points are that share of the part's "
           "weight. A bid scoring below a criterion's minimum fails (see Minimum scores).")
    rows = [["ID", "Criterion", "Part", "Weight in part", "Points of 100", "Minimum score"]]
    for c in rules.criteria:
        rows.append([c.id, c.title, SECTION_WORDS.get(c.section, c.section), f"{c.weight:g}%",
                     fmt(_points(rules, c), 1), "–" if c.min_score is None else f"{c.min_score:g} of {c.max_score}"])
    rows.append(["–", "Price", "Price", "–", fmt(w.get("price", 0.0), 1), "–"])
    o.table(rows, caption="Criteria, weights and minimum scores", widths=[0.07, 0.41, 0.13, 0.13, 0.13, 0.13],
            align_right=[3, 4])
    o.heading("What a strong answer shows", 2)
    for c in rules.criteria:
        extra = ""
        if c.type == "need_alignment":
            extra = (f" Scored from the bid itself, not by the panel: the share of the bid's proposed "
                     f"{c.service or 'service'} capacity placed in authorities with a shortfall.")
        o.para(B(f"{c.id} {c.title}"), f" ({SECTION_WORDS.get(c.section, c.section)}, weight {c.weight:g}%, "
               f"{fmt(_points(rules, c), 1)} points; scored 0–{c.max_score})")
        o.para(c.guidance + extra)
    scale = rules.scale
    block = Outline().heading("Scoring scale", 2)
    block.para(f"Each panel member scores each quality and social value criterion on a whole-number scale from "
               f"{scale.min} to {scale.max}:")
    block.table([["Score", "Meaning"]] + [[str(k), v] for k, v in scale.descriptors.items()], caption="Scoring scale",
                widths=[0.15, 0.85])
    o.keep(block)
    minimums = [c for c in rules.criteria if c.min_score is not None]
    o.heading("Minimum scores", 2)
    o.para("Minimum scores: " + "; ".join(f"{c.id} {c.title}: {c.min_score:g}" for c in minimums) + "."
           if minimums else "No criterion has a minimum score.")
    o.para(rules.min_score_policy if rules.min_score_policy else
           "A bid below a published minimum fails and is not ranked. Minimums are never waived or lowered after bids "
           "arrive.")
    o.heading("Pass/fail requirements", 2)
    o.para("A bid that does not meet every requirement below fails and is not scored further:"
           if rules.gates else "There are no pass/fail requirements beyond the minimum scores.")
    if rules.gates:
        o.bullets([g.title for g in rules.gates])
    method = PRICE_METHODS.get(rules.price_method, f"Method: {rules.price_method}.")
    o.heading("Price", 2)
    o.para(f"Price carries {w.get('price', 0):g} points of 100. {method} Prices are compared within each lot, among "
           "the bids still in the running.")
    o.para(B("What to quote: "), rules.price_instruction())
    o.para(f"A price below {rules.abnormally_low:.0%} of the median price in its lot is flagged as possibly abnormally "
           "low: the bidder is asked to explain it before any decision. It is not excluded automatically.")
    consensus = {"median": "the median of the panel's scores", "mean": "the mean of the panel's scores"}.get(
        rules.consensus, rules.consensus)
    o.heading("Panel, conflicts and moderation", 2)
    o.bullets([
        "Panel members declare any conflict of interest before scoring; a conflicted member does not score that "
        "bidder.",
        "Each member scores every bid independently and records a reason for every score.",
        f"The moderated score on a criterion is {consensus}, unless the panel chair records an agreed moderated score "
        "with a note saying why it moved.",
        f"Where panel scores differ by {rules.spread_flag:g} points or more, the criterion is discussed at moderation "
        "before a score is agreed.",
        "Every score, reason, moderated score and note is kept, so every result can be explained.",
    ])
    return o.cond_break(250)


def _timetable(rules: Rules, check) -> Outline:
    timetable = rules.timetable
    o = Outline().heading("Timetable")
    if not timetable:
        return o.para("The timetable will be published before bids are invited.")
    order = [k for k in TIMETABLE_ORDER if k in timetable] + [k for k in timetable if k not in TIMETABLE_ORDER]
    rows = [["Milestone", "Date"]] + [[MILESTONE_WORDS.get(k, k.replace("_", " ").capitalize()),
                                       today_text(timetable[k])] for k in order]
    o.table(rows, caption="Timetable", widths=[0.6, 0.4]).spacer(8)
    if check is None:
        o.box(f"The notice check needs both the publication date and the date bids are invited; at least "
              f"{NOTICE_MONTHS} calendar months must separate them.", status="red")
    else:
        o.box(B("Notice check: met. " if check.ok else "Notice check: NOT MET. "), check.message,
              status="green" if check.ok else "red")
    o.para(f"The rule: bids are invited no earlier than the same day {NOTICE_MONTHS} calendar months after the "
           "priorities are published (or the last day of that month when it has no such day; e.g. published 30 "
           "November, bids invited from 28 February, or 29 February in a leap year).", style="small")
    return o


def lot_profile_outline(profile: LotProfile, rules: Rules) -> Outline:
    """One page for a bidder on one lot: its authorities, need, current provision and gap by service,
    its indicative value and what that buys at the published unit costs."""
    lot = profile.lot
    o = Outline().heading(f"Lot profile: {lot.name}")
    value = ("not published" if lot.indicative_value_gbp is None
             else f"£{lot.indicative_value_gbp:,.0f} {rules.price_words() or 'a year'}")
    o.para(B("Authorities: "), f"{', '.join(sorted(lot.boroughs))} ({len(lot.boroughs)}).")
    o.para(B("Indicative value: "), value + ".")
    rows = [["Service", "Need", "Provision now", "Gap where short", "Coverage", "Cost of the gap a year"]]
    for s in profile.services:
        d = digits_for(s.unit)
        rows.append([s.label, f"{fmt(s.need, d)} {s.unit}", f"{fmt(s.provision, d)} {s.unit}",
                     f"{fmt(s.gap, d)} {s.unit}", f"{s.coverage_pct:.0f}%",
                     "–" if s.gap_cost is None else f"£{s.gap_cost:,.0f}"])
    o.table(rows, caption=f"{lot.name}: need, current provision and the gap by service", caption_in_pdf=True,
            widths=[0.2, 0.15, 0.17, 0.17, 0.12, 0.19], align_right=range(1, 6))
    o.para("Gap where short: the sum of the shortfalls of the lot's authorities below their benchmark; provision "
           "above the benchmark in one authority does not fill a gap in another.", style="small")
    if profile.buys:
        o.para(B("What the indicative value buys: "), "spent on one service alone, about "
               + "; or ".join(f"{fmt(n, digits_for(unit))} {unit} of {label}" for label, unit, n in profile.buys)
               + " a year at the unit costs in the needs assessment.")
    return o
