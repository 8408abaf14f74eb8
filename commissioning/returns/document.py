"""The quarterly publication of provider returns as a document: one outline of blocks, rendered to
accessible HTML (:mod:`commissioning.publish.html`) or PDF (reportlab, the shared report style).

Only aggregate, suppressed figures appear (no provider's own figures, no refuge location).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

import pandas as pd

from commissioning.publish.html import Document
from commissioning.returns.publication import METHOD, Publication
from commissioning.returns.quarters import describe

AUTHOR = "Victim services commissioning"
NUMERIC_PREFIXES = ("Capacity", "Referrals", "Refused", "Cases open", "Median days", "Clients asked", "Satisfied")
INTRO = ("Commissioned support organisations report each quarter how much provision they have in post, how many "
         "referrals they received, how many they could not take for lack of capacity (the most direct evidence of "
         "unmet demand), how long people waited for first contact and how satisfied their clients were. This "
         "publication answers the London Assembly review's recommendation 10, to publish results quarterly, and "
         "counts the victims the police survey leaves out, among them survivors of domestic abuse.")


def outline(pub: Publication) -> list[tuple]:
    """Blocks: ("heading", text, level), ("paragraph", text), ("notice", text), ("table", frame, caption)."""
    blocks: list[tuple] = []
    if pub.notes:
        blocks.append(("notice", "Illustrative data. These are not real figures: " + "; ".join(pub.notes) + "."))
    blocks += [("heading", "Headline", 2), ("paragraph", pub.headline), ("paragraph", INTRO)]
    if not pub.providers:
        return blocks + [("heading", "Method", 2), ("paragraph", METHOD)]
    for service, table in pub.services.items():
        label, unit = pub.labels[service]
        blocks += [("heading", label, 2),
                   ("table", table, (f"{label}: provision ({unit}), referrals, refused referrals and waiting "
                                     f"times by borough, {describe(pub.quarter)}"))]
    blocks += [("heading", "Client satisfaction (all services)", 2),
               ("paragraph", ("Clients asked by their support service whether they were satisfied, with 95% "
                              "confidence intervals. Shown beside the police victim survey, never added to it."))]
    if len(pub.clients):
        blocks.append(("table", pub.clients, f"Clients satisfied by borough, {describe(pub.quarter)}"))
    else:
        blocks.append(("paragraph", "No provider reported client satisfaction this quarter."))
    blocks += [("heading", "Method", 2), ("paragraph", METHOD)]
    return blocks


def _numeric(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith(NUMERIC_PREFIXES) or c == "95% interval"]


def build_html(pub: Publication, *, date: dt.date | None = None) -> str:
    doc = Document(pub.title, subtitle=_subtitle(pub, date), footer=_footer(pub))
    for block in outline(pub):
        kind = block[0]
        if kind == "heading":
            doc.heading(block[1], block[2])
        elif kind == "paragraph":
            doc.paragraph(block[1])
        elif kind == "notice":
            doc.notice(block[1])
        elif kind == "table":
            doc.table(block[1], caption=block[2], numeric=_numeric(block[1]))
    return doc.render()


def build_pdf(pub: Publication, out: str | os.PathLike | BinaryIO | None = None, *,
              date: dt.date | None = None) -> bytes:
    """The publication as a PDF (A4, title/author/language metadata); written atomically to ``out``."""
    from reportlab.platypus import Spacer

    from commissioning.publish.pdf.style import (
        data_table,
        deliver,
        esc,
        heading,
        illustrative_mark,
        para,
        render,
    )

    story = [para(esc(pub.title), "title"), para(esc(_subtitle(pub, date)), "subtitle")]
    for block in outline(pub):
        kind = block[0]
        if kind == "heading":
            story.append(heading(block[1], block[2] - 1))
        elif kind == "paragraph":
            story.append(para(esc(block[1])))
        elif kind == "notice":
            story += illustrative_mark(pub.notes)
        elif kind == "table":
            frame = block[1]
            rows = [[esc(c) for c in frame.columns]] + [[esc(v) for v in r] for r in frame.itertuples(index=False)]
            numeric = _numeric(frame)
            n = len(frame.columns)
            widths = [0.22] + [0.78 / (n - 1)] * (n - 1)
            story += [para(f"<b>{esc(block[2])}</b>", "small"),
                      data_table(rows, widths, align_right=[i for i, c in enumerate(frame.columns) if c in numeric],
                                 total_row=frame.iloc[-1, 0] == "London"),
                      Spacer(1, 8)]
    pdf = render(story, title=pub.title, subject="Provider returns: provision, referrals, waiting times and client "
                 "satisfaction, published quarterly", author=AUTHOR,
                 header=pub.title + (" — ILLUSTRATIVE DATA" if pub.notes else ""), footer=_footer(pub),
                 keywords=["provider returns", "quarterly", "victim services"], toc=False)
    return deliver(pdf, out)


def _subtitle(pub: Publication, date: dt.date | None) -> str:
    day = date or dt.date.today()
    return f"{describe(pub.quarter)}, from approved provider returns. Published {day.day} {day:%B %Y}."


def _footer(pub: Publication) -> str:
    return f"Provider returns {pub.quarter}" + (" · ILLUSTRATIVE DATA" if pub.notes else "")
