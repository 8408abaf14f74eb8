"""The quarterly publication as a document: one :class:`~commissioning.publish.outline.Outline`,
rendered to PDF (reportlab, the shared report style) or to accessible HTML.

The outline holds no bid, score or refuge location: only survey percentages, their intervals and
sample sizes (suppressed below 50), targets and sources.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

import pandas as pd

from commissioning.publish.glossary import glossary_outline
from commissioning.publish.outline import B, Outline, to_html
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import deliver, render, write_html
from commissioning.publish.wording import next_publication_words
from commissioning.publish.returns_document import CLIENT_WIDTHS
from commissioning.satisfaction.chart import chart_alt, chart_png
from commissioning.satisfaction.measures import MIN_RESPONDENTS, group_label
from commissioning.satisfaction.publication import (
    METHOD,
    Publication,
    areas_table,
    baseline_table,
    clients_table,
    gaps_table,
    groups_table,
    month_name,
    sources_table,
    targets_line,
)
from commissioning.satisfaction.returns import SOURCE_LABEL

AUTHOR = "Victim services commissioning"
BASELINE_TEXT = ("The London Assembly review of victim care (January 2013) found the Metropolitan Police had the "
                 "lowest victim satisfaction of the forces in England and Wales, and asked MOPAC to set challenging "
                 "annual targets towards the highest national rating and to publish results quarterly. It gives "
                 "percentages without sample sizes, so they have no interval. It also reports boroughs under 70% "
                 "(Hackney, Enfield, Tower Hamlets) and at 80% or more (Kingston, Sutton).")
GROUPS_TEXT = ("The review found some groups less satisfied than others. Each group's figure and the gaps between "
               "groups, with their 95% intervals.")
CLIENTS_TEXT = ("The police survey leaves out some victims, among them under-16s and survivors of domestic abuse. "
                "Commissioned providers report their own clients' satisfaction each quarter; these figures are for "
                "{quarter} only, come from a different question and people, and are shown beside the police survey, "
                "never added to it.")
REVISIONS = ("Revisions: each figure covers the 12 months to the month shown and is not revised afterwards. If the "
             "survey's publisher revises a past figure, the next publication shows the revised figure and says so.")
MAX_FIGURE_HEIGHT = 600  # points: an A4 page's frame less room for the caption
NUMERIC = ("Respondents", "Satisfied", "Target", "Clients asked", "Providers", "Gap (points)")


def satisfaction_outline(pub: Publication, chart: bytes, *, date: dt.date | None = None) -> Outline:
    """The publication's content, with ``chart`` (:func:`~commissioning.satisfaction.chart.chart_png`)
    as its figure. Each section's heading stays on the page of its first table or chart."""
    o = Outline().para(_title(pub), style="title").para(_subtitle(pub, date), style="subtitle")
    o.illustrative(pub.notes)
    o.extend(_main_points(pub))
    period = month_name(pub.period_end)
    if len(pub.baseline):
        o.keep(Outline().heading("Where London started: the 2012 baseline").para(BASELINE_TEXT)
               .extend(_table(baseline_table(pub), "Victims satisfied, as stated in the review (real figures)")))
    o.keep(Outline().heading("London and boroughs against their targets")
           .para(f"Police victim survey (MPS User Satisfaction Survey), rolling 12 months to {period}. "
                 "The line shows each area's 95% confidence interval, the mark its target.")
           .figure(chart, alt=chart_alt(pub), width=0.82, max_height=MAX_FIGURE_HEIGHT,
                   caption="Victims satisfied by area, with 95% confidence intervals and targets",
                   data=areas_table(pub)))
    o.extend(_table(areas_table(pub), f"Victims satisfied, 12 months to {period}, by area"))
    o.keep(Outline().heading("Groups of victims").para(GROUPS_TEXT)
           .extend(_table(groups_table(pub), f"Victims satisfied by group, 12 months to {period}")))
    if len(pub.gaps):
        o.extend(_table(gaps_table(pub), "Gaps between groups (percentage points)"))
    clients = Outline().heading(f"Service users of commissioned services ({SOURCE_LABEL})")
    clients.para(CLIENTS_TEXT.format(quarter=pub.quarter))
    if len(pub.clients):
        clients.extend(_table(clients_table(pub), f"Clients satisfied, {SOURCE_LABEL}, {pub.quarter}"))
    else:
        clients.para(f"No provider returns were given for {pub.quarter}.")
    o.keep(clients)
    o.keep(Outline().heading("Method, sources and sample sizes").para(METHOD)
           .extend(_table(sources_table(pub), "Sources")))
    o.heading("Next publication and revisions").para(next_publication_words(pub.quarter)).para(REVISIONS)
    return o.extend(glossary_outline(o))


LONDON_CODES = ("E23000001", "E12000007")     # the London-wide rows: the Metropolitan Police, London region


def _main_points(pub: Publication) -> Outline:
    """The headline, then where London started (the review's 2012 baseline), every target year to the
    goal, the groups' own targets, and the review's largest gap between groups by name."""
    o = Outline().heading("Headline").para(pub.headline)
    now = pub.areas.loc[pub.areas["area_code"].isin(LONDON_CODES) & ~pub.areas["suppressed"].astype(bool)]
    latest = None if now.empty else now.iloc[0]
    points = []
    start = pub.baseline.loc[pub.baseline["group"] == "all"]
    if len(start) and latest is not None:
        b = start.iloc[0]
        points.append([B("Since the 2012 baseline: "), f"{b.satisfied_pct:.0f}% of victims were satisfied in the "
                       f"12 months to {month_name(b.period_end)} (as stated in the review); {latest.satisfied_pct:.1f}% "
                       f"(95% interval {latest.lower95:.1f}% to {latest.upper95:.1f}%) in the 12 months to "
                       f"{month_name(pub.period_end)}."])
    years = {} if pub.targets is None else pub.targets.by_key.get((LONDON_CODES[0], "all"), {})
    if years:
        goal_year = max(years)
        trajectory = ", ".join(f"{years[y]:g}% in {y}" for y in sorted(years))
        to_goal = "" if latest is None else (
            f" London is at {latest.satisfied_pct:.1f}%: "
            + (f"{years[goal_year] - latest.satisfied_pct:.1f} points short of the {goal_year} goal."
               if latest.satisfied_pct < years[goal_year] else f"at or above the {goal_year} goal already."))
        points.append([B("Targets to the goal: "), f"{trajectory}.{to_goal}"])
    if pub.targets is not None:
        groups = sorted({g for _, g in pub.targets.by_key if g != "all"})
        points.append([B("Group targets: "), ("set for " + ", ".join(group_label(g) for g in groups) + ".") if groups
                       else "no group has a target of its own; each group is compared with London's."])
    gap = _largest_review_gap(pub)
    if gap:
        points.append(gap)
    if points:
        o.bullets(points)
    return o.para(targets_line(pub))


def _largest_review_gap(pub: Publication) -> list | None:
    """The review's largest gap between two groups (its lowest and highest group figures), named, with
    this period's figures for the same groups or why they are not shown."""
    groups = pub.baseline.loc[pub.baseline["group"] != "all"].sort_values("satisfied_pct")
    if len(groups) < 2:
        return None
    low, high = groups.iloc[0], groups.iloc[-1]
    text = (f"{group_label(low.group)}: {low.satisfied_pct:.0f}% satisfied against {high.satisfied_pct:.0f}% for "
            f"{group_label(high.group).lower()} (12 months to {month_name(low.period_end)}). ")
    current = pub.groups.set_index("group")
    if low.group in current.index:
        row = current.loc[low.group]
        text += (f"This period's figure for the group is suppressed (fewer than {MIN_RESPONDENTS} respondents)."
                 if bool(row.suppressed) else f"This period: {row.satisfied_pct:.1f}% (95% interval "
                 f"{row.lower95:.1f}% to {row.upper95:.1f}%).")
    else:
        text += "The survey no longer reports this group."
    return [B("The review's largest gap: "), text]


def _table(frame: pd.DataFrame, caption: str) -> Outline:
    return Outline().frame_table(frame, caption=caption, widths=WIDTHS.get(tuple(frame.columns)), fit_words=True,
                                 numeric=NUMERIC, caption_in_pdf=True).spacer(8)


def build_html(pub: Publication, out: str | os.PathLike | None = None, *, date: dt.date | None = None) -> str:
    """The publication as one self-contained accessible HTML page; written atomically to ``out`` if given."""
    page = to_html(satisfaction_outline(pub, chart_png(pub), date=date), title=_title(pub),
                   subtitle=_subtitle(pub, date), footer=_footer(pub))
    return write_html(page, out)


def build_pdf(pub: Publication, out: str | os.PathLike | BinaryIO | None = None, *,
              date: dt.date | None = None) -> bytes:
    """The publication as a PDF (A4, tagged title/author/language, bookmarks); written atomically to
    ``out`` if given."""
    pdf = render(to_story(satisfaction_outline(pub, chart_png(pub, dpi=200), date=date)), title=_title(pub),
                 subject="Victim satisfaction against targets, published quarterly",
                 author=AUTHOR, header=_title(pub) + (" — ILLUSTRATIVE DATA" if pub.notes else ""),
                 footer=_footer(pub), keywords=["victim satisfaction", "targets", "quarterly"], toc=False)
    return deliver(pdf, out)


#: How the PDF shares a table's width out among its columns, by the table's columns, once each column
#: is as wide as its longest word ("Respondents", "suppressed", "significantly"; style.fitted_widths).
WIDTHS = {
    ("Area", "Respondents", "Satisfied", "95% interval", "Target", "Against target", "Change", "Basis"):
        [0.16, 0.15, 0.12, 0.125, 0.085, 0.125, 0.12, 0.115],
    ("Group", "Area", "Respondents", "Satisfied", "95% interval", "Basis"): [0.25, 0.2, 0.15, 0.12, 0.16, 0.12],
    tuple(CLIENT_WIDTHS): list(CLIENT_WIDTHS.values()),
    ("Comparison", "Satisfied", "Gap (points)", "95% interval", "Significant"): [0.36, 0.2, 0.14, 0.17, 0.13],
    ("Group", "Satisfied", "12 months to", "Source"): [0.4, 0.12, 0.16, 0.32],
    ("Source", "Publisher", "Period", "Licence", "Illustrative"): [0.27, 0.28, 0.17, 0.15, 0.13],
}


def _title(pub: Publication) -> str:
    return f"Victim satisfaction: quarterly report, {pub.quarter}"


def _subtitle(pub: Publication, date: dt.date | None) -> str:
    day = date or dt.date.today()
    return (f"Police victim survey, 12 months to {month_name(pub.period_end)}, and provider returns for "
            f"{pub.quarter}. Published {day.day} {day:%B %Y}.")


def _footer(pub: Publication) -> str:
    return "Victim satisfaction " + pub.quarter + (" · ILLUSTRATIVE DATA" if pub.notes else "")
