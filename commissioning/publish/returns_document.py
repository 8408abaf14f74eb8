"""The quarterly publication of provider returns as a document: one
:class:`~commissioning.publish.outline.Outline`, rendered to PDF (reportlab, the shared report style)
or to accessible HTML.

Only aggregate, suppressed figures appear (no provider's own figures, no refuge location).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

import pandas as pd

from commissioning.publish.outline import Outline, to_html
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import deliver, render, write_html
from commissioning.returns.publication import CLIENT_COLUMNS, LONDON, METHOD, Publication
from commissioning.returns.quarters import describe

AUTHOR = "Victim services commissioning"
#: The client-satisfaction table's column widths, in both quarterly publications.
CLIENT_WIDTHS = dict(zip(CLIENT_COLUMNS, [0.22, 0.115, 0.17, 0.12, 0.2, 0.175]))
NUMERIC_PREFIXES = ("Capacity", "Referrals", "Refused", "Cases open", "Median days", "Clients asked", "Satisfied")
INTRO = ("Commissioned support organisations report each quarter how much provision they have in post, how many "
         "referrals they received, how many they could not take for lack of capacity (the most direct evidence of "
         "unmet demand), how long people waited for first contact and how satisfied their clients were. This "
         "publication answers the London Assembly review's recommendation 10, to publish results quarterly, and "
         "counts the victims the police survey leaves out, among them survivors of domestic abuse.")


def returns_outline(pub: Publication, *, date: dt.date | None = None) -> Outline:
    """The publication's content: a table per service type, then client satisfaction and the method.
    Each section's heading stays on the page of its table."""
    o = Outline().para(pub.title, style="title").para(_subtitle(pub, date), style="subtitle")
    o.illustrative(pub.notes)
    o.heading("Headline").para(pub.headline).para(INTRO)
    if not pub.providers:
        return o.heading("Method").para(METHOD)
    for service, table in pub.services.items():
        label, unit = pub.labels[service]
        o.keep(Outline().heading(label).extend(_table(table, (
            f"{label}: provision ({unit}), referrals, refused referrals and waiting times by borough, "
            f"{describe(pub.quarter)}"))))
    clients = Outline().heading("Client satisfaction (all services)")
    clients.para("Clients asked by their support service whether they were satisfied, with 95% confidence "
                 "intervals. Shown beside the police victim survey, never added to it.")
    if len(pub.clients):
        clients.extend(_table(pub.clients, f"Clients satisfied by borough, {describe(pub.quarter)}"))
    else:
        clients.para("No provider reported client satisfaction this quarter.")
    return o.keep(clients).heading("Method").para(METHOD)


def _table(frame: pd.DataFrame, caption: str) -> Outline:
    """A borough table: the area column wider, the London total last (in bold)."""
    n = len(frame.columns)
    numeric = [c for c in frame.columns if c.startswith(NUMERIC_PREFIXES) or c == "95% interval"]
    widths = ([CLIENT_WIDTHS[c] for c in frame.columns] if list(frame.columns) == CLIENT_COLUMNS
              else [0.22] + [0.78 / (n - 1)] * (n - 1))
    return Outline().frame_table(frame, caption=caption, widths=widths,
                                 numeric=numeric, total_row=frame.iloc[-1, 0] == LONDON, caption_in_pdf=True
                                 ).spacer(8)


def build_html(pub: Publication, out: str | os.PathLike | None = None, *, date: dt.date | None = None) -> str:
    """The publication as one self-contained accessible HTML page; written atomically to ``out`` if given."""
    page = to_html(returns_outline(pub, date=date), title=pub.title, subtitle=_subtitle(pub, date),
                   footer=_footer(pub))
    return write_html(page, out)


def build_pdf(pub: Publication, out: str | os.PathLike | BinaryIO | None = None, *,
              date: dt.date | None = None) -> bytes:
    """The publication as a PDF (A4, title/author/language metadata); written atomically to ``out``."""
    pdf = render(to_story(returns_outline(pub, date=date)), title=pub.title,
                 subject="Provider returns: provision, referrals, waiting times and client satisfaction, published "
                 "quarterly", author=AUTHOR, header=pub.title + (" — ILLUSTRATIVE DATA" if pub.notes else ""),
                 footer=_footer(pub), keywords=["provider returns", "quarterly", "victim services"], toc=False)
    return deliver(pdf, out)


def _subtitle(pub: Publication, date: dt.date | None) -> str:
    day = date or dt.date.today()
    return f"{describe(pub.quarter)}, from approved provider returns. Published {day.day} {day:%B %Y}."


def _footer(pub: Publication) -> str:
    return f"Provider returns {pub.quarter}" + (" · ILLUSTRATIVE DATA" if pub.notes else "")
