"""The quarterly publication as a document: one outline of blocks, rendered to PDF (reportlab, the
shared report style) or to accessible HTML (:mod:`commissioning.publish.html`).

The outline holds no bid, score or refuge location: only survey percentages, their intervals and
sample sizes (suppressed below 50), targets and sources.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

import pandas as pd

from commissioning.publish.html import Document
from commissioning.satisfaction.chart import chart_alt, chart_png
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
MAX_FIGURE_HEIGHT = 600  # points: an A4 page's frame less room for the caption
NUMERIC = ("Respondents", "Satisfied", "Target", "Clients surveyed", "Providers", "Gap (points)")


def outline(pub: Publication, chart: bytes | None = None) -> list[tuple]:
    """The document as blocks: ("heading", text, level), ("paragraph", text), ("notice", text),
    ("table", frame, caption), ("figure", png, alt, caption), ("bullets", items)."""
    blocks: list[tuple] = []
    if pub.notes:
        blocks.append(("notice", "Illustrative data. These are not real figures: " + "; ".join(pub.notes) +
                       ". Do not use them for decisions until real files are imported."))
    blocks += [("heading", "Headline", 2), ("paragraph", pub.headline), ("paragraph", targets_line(pub))]
    period = month_name(pub.period_end)
    if len(pub.baseline):
        blocks += [("heading", "Where London started: the 2012 baseline", 2), ("paragraph", BASELINE_TEXT),
                   ("table", baseline_table(pub), "Victims satisfied, as stated in the review (real figures)")]
    blocks += [("heading", "London and boroughs against their targets", 2),
               ("paragraph", (f"Police victim survey (MPS User Satisfaction Survey), rolling 12 months to {period}. "
                              "The line shows each area's 95% confidence interval, the mark its target."))]
    if chart is not None:
        blocks.append(("figure", chart, chart_alt(pub),
                       "Victims satisfied by area, with 95% confidence intervals and targets"))
    blocks.append(("table", areas_table(pub), f"Victims satisfied, 12 months to {period}, by area"))
    blocks += [("heading", "Groups of victims", 2), ("paragraph", GROUPS_TEXT),
               ("table", groups_table(pub), f"Victims satisfied by group, 12 months to {period}")]
    if len(pub.gaps):
        blocks.append(("table", gaps_table(pub), "Gaps between groups (percentage points)"))
    blocks += [("heading", f"Service users of commissioned services ({SOURCE_LABEL})", 2),
               ("paragraph", CLIENTS_TEXT.format(quarter=pub.quarter))]
    if len(pub.clients):
        blocks.append(("table", clients_table(pub), f"Clients satisfied, {SOURCE_LABEL}, {pub.quarter}"))
    else:
        blocks.append(("paragraph", f"No provider returns were given for {pub.quarter}."))
    blocks += [("heading", "Method, sources and sample sizes", 2), ("paragraph", METHOD),
               ("table", sources_table(pub), "Sources")]
    return blocks


def build_html(pub: Publication, *, date: dt.date | None = None) -> str:
    doc = Document(_title(pub), subtitle=_subtitle(pub, date), footer=_footer(pub, date))
    for block in outline(pub, chart_png(pub)):
        kind = block[0]
        if kind == "heading":
            doc.heading(block[1], block[2])
        elif kind == "paragraph":
            doc.paragraph(block[1])
        elif kind == "notice":
            doc.notice(block[1])
        elif kind == "table":
            doc.table(block[1], caption=block[2], numeric=[c for c in block[1].columns if c in NUMERIC])
        elif kind == "figure":
            doc.figure(block[1], alt=block[2], caption=block[3])
    return doc.render()


def build_pdf(pub: Publication, out: str | os.PathLike | BinaryIO | None = None, *,
              date: dt.date | None = None) -> bytes:
    """The publication as a PDF (A4, tagged title/author/language, bookmarks); written atomically to
    ``out`` if given."""
    from reportlab.platypus import Spacer

    from commissioning.publish.pdf.style import (
        CONTENT_WIDTH,
        deliver,
        esc,
        heading,
        illustrative_mark,
        keep,
        para,
        png_image,
        render,
    )

    story = [para(esc(_title(pub)), "title"), para(esc(_subtitle(pub, date)), "subtitle")]
    for block in outline(pub, chart_png(pub, dpi=200)):
        kind = block[0]
        if kind == "heading":
            story.append(heading(block[1], block[2] - 1))
        elif kind == "paragraph":
            story.append(para(esc(block[1])))
        elif kind == "notice":
            story += illustrative_mark(pub.notes)
        elif kind == "table":
            story += [para(f"<b>{esc(block[2])}</b>", "small"), _table(block[1]), Spacer(1, 8)]
        elif kind == "figure":
            image = png_image(block[1], width=CONTENT_WIDTH * 0.82)
            if image.drawHeight > MAX_FIGURE_HEIGHT:      # many areas: keep the chart on one page
                image = png_image(block[1], width=image.drawWidth * MAX_FIGURE_HEIGHT / image.drawHeight)
            lead_in = [story.pop() for _ in range(2)][::-1]   # the section's heading and paragraph stay with it
            story.append(keep(*lead_in, image, para(esc(block[3]), "small")))
    pdf = render(story, title=_title(pub), subject="Victim satisfaction against targets, published quarterly",
                 author=AUTHOR, header=_title(pub) + (" — ILLUSTRATIVE DATA" if pub.notes else ""),
                 footer=_footer(pub, date), keywords=["victim satisfaction", "targets", "quarterly"], toc=False)
    return deliver(pdf, out)


#: PDF column widths (fractions of the page width) by the table's columns.
WIDTHS = {
    ("Area", "Respondents", "Satisfied", "95% interval", "Target", "Against target", "Change", "Basis"):
        [0.15, 0.14, 0.115, 0.15, 0.08, 0.13, 0.13, 0.105],
    ("Group", "Area", "Respondents", "Satisfied", "95% interval", "Basis"): [0.25, 0.16, 0.14, 0.115, 0.2, 0.135],
    ("Area", "Providers", "Clients surveyed", "Satisfied", "95% interval", "Basis"):
        [0.22, 0.11, 0.175, 0.115, 0.2, 0.18],
    ("Comparison", "Satisfied", "Gap (points)", "95% interval", "Significant"): [0.37, 0.2, 0.14, 0.17, 0.12],
    ("Group", "Satisfied", "12 months to", "Source"): [0.4, 0.12, 0.16, 0.32],
    ("Source", "Publisher", "Period", "Licence", "Illustrative"): [0.27, 0.29, 0.17, 0.15, 0.12],
}


def _table(frame: pd.DataFrame):
    from commissioning.publish.pdf.style import data_table, esc

    rows = [[esc(c) for c in frame.columns]] + [[esc(v) for v in row] for row in frame.itertuples(index=False)]
    n = len(frame.columns)
    right = [i for i, c in enumerate(frame.columns) if c in NUMERIC]
    return data_table(rows, WIDTHS.get(tuple(frame.columns), [1 / n] * n), align_right=right)


def _title(pub: Publication) -> str:
    return f"Victim satisfaction: quarterly report, {pub.quarter}"


def _subtitle(pub: Publication, date: dt.date | None) -> str:
    day = date or dt.date.today()
    return (f"Police victim survey, 12 months to {month_name(pub.period_end)}, and provider returns for "
            f"{pub.quarter}. Published {day.day} {day:%B %Y}.")


def _footer(pub: Publication, date: dt.date | None) -> str:
    return "Victim satisfaction " + pub.quarter + (" · ILLUSTRATIVE DATA" if pub.notes else "")
